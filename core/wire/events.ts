// What happens in the room, as data: the hub emits Events; messages.ts renders them as text, toJson for `/mode json`.

/** lost: the person's server stopped answering the cluster. */
export type Reason = "idle" | "too slow" | "kicked" | "banned" | "lost";

/** A chat line kept for history. */
export interface Said {
  type: "message" | "me";
  from: string;
  text: string;
  ts: number;
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

export type Event =
  | ({ type: "welcome"; name: string; present: readonly Presence[]; motd: string[]; lang: "en" | "zh" } & Partial<Limits>)
  | { type: "history"; lines: Said[] }
  | { type: "join"; name: string }
  | { type: "leave"; name: string; reason?: Reason }
  | { type: "message"; from: string; text: string }
  | { type: "me"; from: string; text: string }
  | { type: "nick"; from: string; to: string }
  | { type: "private"; from: string; to: string; text: string }
  | { type: "notice"; text: string; code?: string; name?: string };

/** One JSON object per line: the event with its time in milliseconds since the epoch. */
export function toJson(event: Event, ts: number): string {
  return JSON.stringify({ ...event, ts });
}
