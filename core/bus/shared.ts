// What the servers share, as plain JSON-ready data: every change a bus carries, each saying who made it.
import type { Reason } from "../wire/events.ts";

/**
 * Who made a change: the server (node) it came through and that server's number for the connection.
 * The origin server routes replies (`* name … is taken`, `* you are an operator`) to its own member by it.
 */
export interface Who {
  node: string;
  id: number;
}

/** Every change to what the servers share; each server applies them in the bus's order and derives the same chat. */
export type Shared =
  /** Into the chat, in a room, under a name already claimed; ip for bans by name. */
  | { kind: "join"; by: Who; name: string; room: string; ip?: string }
  /** Out of the chat, by themselves (a closed connection, /quit, idle, too slow). */
  | { kind: "leave"; by: Who; reason?: Reason }
  /** An operator puts target out; why is shown to them. */
  | { kind: "kick"; by: Who; target: Who; why: string }
  /** From one room to another (spelled as typed; an existing room keeps its own spelling). */
  | { kind: "move"; by: Who; room: string }
  /** A chat line or /me; ts is the origin's clock, so every server shows the same time. */
  | { kind: "say"; by: Who; type: "message" | "me"; text: string; ts: number }
  /** /msg: only the two people see it. */
  | { kind: "whisper"; by: Who; to: Who; text: string }
  /** To a name already claimed. */
  | { kind: "rename"; by: Who; name: string }
  /** Absent text: back. */
  | { kind: "away"; by: Who; text?: string }
  /** Absent text: no topic. room is the key of the room it was set in. */
  | { kind: "topic"; by: Who; room: string; text?: string }
  | { kind: "op"; by: Who }
  /** until: ms since the epoch, absent: until /unmute; ms: the duration asked for, as announced. */
  | { kind: "mute"; by: Who; target: Who; until?: number; ms?: number }
  | { kind: "unmute"; by: Who; target: Who }
  /** range as CIDR text; label: the name banned; from: the operator's name. */
  | { kind: "ban"; by: Who; from: string; range: string; label?: string; until?: number; ms?: number }
  | { kind: "unban"; by: Who; target: string };

/** One string per person across the cluster, as names are claimed under. */
export function ownerOf(who: Who): string {
  return `${who.node}/${who.id}`;
}
