// One room: the spelling it was made with, who is in it (sorted), its last lines, its topic, and how its broadcasts reach this server's members.
import type { Audience } from "./audience.ts";
import { History } from "./history.ts";
import { Roster } from "./roster.ts";

export class Room {
  readonly roster = new Roster();
  readonly history: History;
  topic?: string;
  /**
   * When the last person left, as a place in the bus's order rather than a clock's time: every
   * server applies the same changes in the same order, so all of them forget the same room first.
   */
  emptySince = 0;

  /** `#dev`, as shown. */
  readonly tag: string;

  constructor(
    /** As first written, without the `#`. */
    readonly name: string,
    /** nameKey(name): one room whatever the case or width. */
    readonly key: string,
    history: number,
    /** This server's members in the room; the hub adds and deletes them as they come and go. */
    readonly audience: Audience,
  ) {
    this.history = new History(history);
    this.tag = `#${name}`;
  }

  get size(): number {
    return this.roster.size;
  }

  /** Nobody in it, and nothing to keep: it can go at once. */
  get bare(): boolean {
    return this.size === 0 && this.history.size === 0 && this.topic === undefined;
  }
}
