// The chat's shared state as plain data, for a server that joins a cluster: the people on every server, the rooms with their topics and history, the bans.
import type { Said } from "../wire/events.ts";

export interface SavedPerson {
  node: string;
  id: number;
  name: string;
  /** The room's name, as spelled when it was made. */
  room: string;
  away?: string;
  ip?: string;
  op?: true;
  /** Muted until then (ms since the epoch), or until /unmute. */
  muted?: number | "forever";
}

export interface SavedRoom {
  name: string;
  topic?: string;
  /** Set for an empty room: the one empty longest is forgotten first, on every server alike. */
  emptySince?: number;
  history: Said[];
}

export interface ChatState {
  version: 1;
  people: SavedPerson[];
  rooms: SavedRoom[];
  /** As the --state file holds them (serializeBans). */
  bans: string;
}

/** The state if data is one (a version this code reads), else undefined: a server that cannot read it starts from the stream. */
export function readState(data: unknown): ChatState | undefined {
  const state = data as Partial<ChatState> | null;
  if (typeof state !== "object" || state === null || state.version !== 1) return undefined;
  if (!Array.isArray(state.people) || !Array.isArray(state.rooms) || typeof state.bans !== "string") return undefined;
  return state as ChatState;
}
