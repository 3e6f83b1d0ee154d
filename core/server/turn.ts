// One event-loop turn of output: every outbox with something new is written once when the turn ends, within a time budget.
import type { Broadcast, Flushable, Schedule } from "./schedule.ts";

/**
 * How long the end of a turn may spend writing. Past it, the outboxes not yet written wait for
 * the next turn, so the event loop gets back to reading and accepting (the kernel keeps only
 * 512 connections waiting to be accepted; past that a connect waits a second to retry): a round
 * of writes to 5000 members takes tens of milliseconds.
 */
const BUDGET_MS = 8;
/** How many writes between two looks at the clock. */
const CLOCK_EVERY = 16;
/**
 * A turn with little to broadcast (LITTLE bytes: a few lines) waits until COALESCE_MS after the
 * last flush, so that a steady trickle goes out a few lines per write: a write costs about the same
 * whatever its size, and at 2000 lines/s to 100 members one write per line per member takes a whole
 * core. A turn with more to write, or with lines for one member alone, goes out at once: a busy
 * sender's batch held back would only lengthen the round trip of whoever waits for it to be read.
 */
const COALESCE_MS = 1;
const LITTLE = 256;

export class Turn implements Schedule {
  /** Outboxes with something for their peer alone (a welcome, a reply, a goodbye): written first. */
  readonly #direct = new Set<Flushable>();
  /**
   * Readers of a channel not written since its last lines, in order. A set: a reader still
   * waiting from an earlier turn keeps its place, and writes the newer lines too when it comes.
   */
  readonly #readers = new Set<Flushable>();
  #channels: Broadcast[] = [];
  #scheduled = false;
  #scratch = new Uint8Array(0);
  #lastFlush = 0;
  #held = false;
  readonly #now: () => number;

  /** now: the clock in milliseconds (a test may give one that does not move). */
  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** Nothing is waiting to be written. */
  get idle(): boolean {
    return !this.#scheduled;
  }

  /**
   * Lines for one peer alone are still waiting from an earlier turn: better not add to them now.
   * Readers still catching up with a channel do not count: what they have to write is shared,
   * and more lines only make their next write longer, not more numerous.
   */
  get behind(): boolean {
    return this.#direct.size > 0;
  }

  /** Writes the outbox when this turn ends. */
  schedule(outbox: Flushable): void {
    this.#direct.add(outbox);
    this.#wake();
  }

  /** Writes every reader of the channel when this turn ends. */
  scheduleChannel(channel: Broadcast): void {
    this.#channels.push(channel);
    this.#wake();
  }

  #wake(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(this.#end);
  }

  /** A buffer of at least n bytes, reused: valid until the next call. */
  scratch(n: number): Uint8Array {
    if (this.#scratch.length < n) this.#scratch = new Uint8Array(Math.max(n, this.#scratch.length * 2, 4096));
    return this.#scratch;
  }

  readonly #end = (): void => {
    const start = this.#now();
    if (!this.#held && this.#direct.size === 0 && this.#readers.size === 0 && start - this.#lastFlush < COALESCE_MS) {
      let fresh = 0;
      for (const channel of this.#channels) fresh += channel.fresh;
      if (fresh < LITTLE) {
        this.#held = true;
        setTimeout(this.#end, COALESCE_MS - (start - this.#lastFlush));
        return;
      }
    }
    this.#held = false;
    let count = 0;
    let over = false;
    const due = (): boolean => {
      if (!over && ++count % CLOCK_EVERY === 0) over = this.#now() - start >= BUDGET_MS;
      return !over;
    };
    // Lines for one peer first (a newcomer's welcome): the door stays quick while the room catches up.
    // A flush may queue more (a goodbye): the set takes it at its end, and this loop still comes to it.
    for (const outbox of this.#direct) {
      if (!due()) break;
      this.#direct.delete(outbox);
      outbox.flush();
    }
    const channels = this.#channels;
    this.#channels = [];
    for (const channel of channels) for (const reader of channel.readers) this.#readers.add(reader);
    for (const reader of this.#readers) {
      if (!due()) break;
      this.#readers.delete(reader);
      reader.flush();
    }
    for (const channel of channels) channel.settle();
    this.#lastFlush = this.#now();
    this.#scheduled = this.#direct.size > 0 || this.#readers.size > 0 || this.#channels.length > 0;
    if (this.#scheduled) setImmediate(this.#end);
  };
}
