// A member of the chat as the chat sees it: an address to name it by, a queue to send to, a way out. The server implements it.
import type { Reason } from "../wire/events.ts";

/** A connection as the chat sees it; the server implements it with a socket and an outbox. */
export interface Member {
  /** The peer's address, `127.0.0.1:53412` or `[::1]:53412`: the default name. */
  readonly address: string;
  /** The peer's IP address alone, for bans. */
  readonly ip?: string;
  /** Queues bytes for the peer; never blocks the hub. The hub may reuse bytes afterwards: what is kept is copied. */
  send(bytes: Uint8Array): void;
  /** Ends the connection once what is queued has been sent; the reason is given when an operator put them out. */
  close(reason?: Reason): void;
  /** Told once it is in the chat, under its name, in its room (`#main`): the server logs it. */
  joined?(name: string, room: string): void;
  /** Told once it is out of the chat, under the name it had, from its room. */
  left?(name: string, room: string, reason?: Reason): void;
}

/** What a newcomer asked for in its first lines, applied before anyone hears of it. */
export interface Arrival {
  /** The name to arrive under (`/nick NAME` sent at once); a taken or invalid one is refused and the default used. */
  name?: string;
  /** JSON mode from the first line on (`/mode json`). */
  json?: boolean;
  /** The room to arrive in (`/join #room` sent at once); #main otherwise. */
  room?: string;
}
