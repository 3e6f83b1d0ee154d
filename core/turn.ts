// One event-loop turn of output: every line sent this turn laid down once in a shared log, and one flush of every dirty outbox when the turn ends.

/** What the turn flushes: an outbox with bytes in this turn's log. */
export interface Flushable {
  flush(): void;
}

/** Lines longer than this are not copied into the log; their own bytes are queued instead. */
const MAX_SHARED = 4096;
const INITIAL_LOG = 64 * 1024;
/** A log or scratch buffer that grew past this during a burst is given back when the turn ends. */
const KEEP_AT_MOST = 1024 * 1024;

/**
 * A broadcast hands the same Uint8Array to every member. Copying it once into the log lets every
 * outbox that got the same run of lines write that run straight from the log: one write per
 * member per turn, no per-member copy or array. The log is reset when the turn ends, so an
 * outbox keeps only offsets into it, and copies out whatever the kernel does not take.
 */
export class Turn {
  #log = new Uint8Array(INITIAL_LOG);
  #length = 0;
  // The last two arrays laid down: an event has at most two forms (plain and JSON), so a
  // broadcast to a mixed room alternates between two arrays and still lays each down once.
  #last?: Uint8Array;
  #lastAt = 0;
  #prev?: Uint8Array;
  #prevAt = 0;
  #scratch = new Uint8Array(0);
  #dirty: Flushable[] = [];
  #scheduled = false;
  /** Changes when the log is reset: offsets taken in an earlier turn are void. */
  generation = 0;

  /** The log as it is now; offsets returned by place() stay valid in it until the turn ends. */
  get log(): Uint8Array {
    return this.#log;
  }

  /** Where bytes sit in this turn's log (laid down now if they are not already the latest), or -1 if too long to share. */
  place(bytes: Uint8Array): number {
    if (bytes === this.#last) return this.#lastAt;
    if (bytes === this.#prev) return this.#prevAt;
    if (bytes.length > MAX_SHARED) return -1;
    const at = this.#length;
    const end = at + bytes.length;
    if (end > this.#log.length) {
      const grown = new Uint8Array(Math.max(end, this.#log.length * 2));
      grown.set(this.#log.subarray(0, at));
      this.#log = grown;
    }
    this.#log.set(bytes, at);
    this.#length = end;
    this.#prev = this.#last;
    this.#prevAt = this.#lastAt;
    this.#last = bytes;
    this.#lastAt = at;
    return at;
  }

  /** A buffer of at least n bytes, reused: valid until the next call. */
  scratch(n: number): Uint8Array {
    if (this.#scratch.length < n) this.#scratch = new Uint8Array(Math.max(n, this.#scratch.length * 2, 4096));
    return this.#scratch;
  }

  /** Flushes the outbox when this turn ends. */
  schedule(outbox: Flushable): void {
    this.#dirty.push(outbox);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#end);
    }
  }

  readonly #end = (): void => {
    // A flush may queue more (a goodbye): those are flushed in this loop too, before the log is reset.
    while (this.#dirty.length > 0) {
      const dirty = this.#dirty;
      this.#dirty = [];
      for (let i = 0; i < dirty.length; i++) dirty[i]!.flush();
    }
    this.#scheduled = false;
    // Every outbox has written or copied out its part of the log: start the next turn empty.
    this.generation++;
    this.#length = 0;
    this.#last = this.#prev = undefined;
    if (this.#log.length > KEEP_AT_MOST) this.#log = new Uint8Array(INITIAL_LOG);
    if (this.#scratch.length > KEEP_AT_MOST) this.#scratch = new Uint8Array(0);
  };
}
