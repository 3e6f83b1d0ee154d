// What happens in the room, as data: the hub emits Events; messages.ts renders them as text, toJson for `/mode json`.

/** lost: the person's server stopped answering the cluster. */
export type Reason = "idle" | "too slow" | "kicked" | "banned" | "lost";

/** A chat line kept for history. */
export interface Said {
  type: "message" | "me";
  from: string;
  text: string;
  ts: number;
  room?: string;
}

export interface Presence {
  name: string;
  away?: string;
}

/** What the server allows a client, so that `chat connect` can keep within it: lines a second, lines at once, bytes a line. */
export interface Limits {
  rate: number;
  burst: number;
  maxLine: number;
}

/** A room as /rooms lists it; room is written with its `#`. */
export interface RoomInfo {
  room: string;
  people: number;
  topic?: string;
}

/**
 * Events of a room carry it (`#dev`); a server without rooms leaves it out. A leave that is only a
 * move carries where to.
 */
export type Event =
  | ({ type: "welcome"; name: string; present: readonly Presence[]; motd: string[]; lang: "en" | "zh"; room?: string; topic?: string } & Partial<Limits>)
  | { type: "history"; lines: Said[]; room?: string }
  | { type: "join"; name: string; room?: string }
  | { type: "leave"; name: string; reason?: Reason; room?: string; to?: string }
  | { type: "message"; from: string; text: string; room?: string }
  | { type: "me"; from: string; text: string; room?: string }
  | { type: "nick"; from: string; to: string; room?: string }
  | { type: "private"; from: string; to: string; text: string }
  | { type: "notice"; text: string; code?: string; name?: string; room?: string }
  /** You are now in room. */
  | { type: "room"; room: string; topic?: string; present: readonly Presence[] }
  | { type: "topic"; room: string; from: string; text: string }
  | { type: "rooms"; rooms: RoomInfo[] };

/** One JSON object per line: the event with its time in milliseconds since the epoch. */
export function toJson(event: Event, ts: number): string {
  return JSON.stringify({ ...event, ts });
}
