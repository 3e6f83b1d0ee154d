// What the per-turn write schedule and the broadcast channels know of each other: turn.ts writes, channel.ts lays lines down.

/** What a turn writes: an outbox (outbox.ts). */
export interface Flushable {
  flush(): void;
}

/** What reads a channel: an outbox (outbox.ts). */
export interface Reader extends Flushable {
  /** Where in the stream this reader has written up to. */
  readonly position: number;
  /** The turn's mark: this reader is in its list of readers still to write (each is there once). */
  waiting: boolean;
}

/** A channel as the turn sees it: readers to write when the turn ends, and what it may let go of then. */
export interface Broadcast {
  readonly readers: ReadonlySet<Reader>;
  /** Bytes appended this turn. */
  readonly fresh: number;
  /** The turn has ended: let go of what every reader has written. */
  settle(): void;
}

/** The turn as an outbox or a channel sees it. */
export interface Schedule {
  /** Writes the outbox when this turn ends. */
  schedule(outbox: Flushable): void;
  /** Writes every reader of the channel when this turn ends. */
  scheduleChannel(channel: Broadcast): void;
  /** A buffer of at least n bytes, reused: valid until the next call. */
  scratch(n: number): Uint8Array;
}
