// One event-loop turn of output: every outbox with something new is written once when the turn ends, within a time budget.
import type { Broadcast, Flushable, Reader, Schedule } from "./schedule.ts";

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
/**
 * While a crowd arrives, the room's news (each arrival, to everyone already in) waits until the door
 * has been calm CROWD_MS, and at most CROWD_MAX_MS in all. Those writes are most of a storm's work,
 * and the clients reading them share the machine with the ones still connecting: written while the
 * crowd comes they starve the door (each round of news to n members costs n writes, and the
 * readers' time), so greeting 5000 took three times as long. Held, the door is as quick as a
 * program that only greets, and the news goes out in a few large rounds, more lines per write.
 */
const CROWD_MS = 100;
const CROWD_MAX_MS = 1000;
/**
 * When a crowd has passed, its garbage is collected at once, before the rounds of news: what the
 * arrivals made and the hold kept (the news itself, the welcomes, the door's bookkeeping) has
 * outlived the young generation by then, and left to the collector's pace the heap grows by it
 * instead of reusing it (5000 arrivals: a peak 1.5–3 MiB lower, and steadier). A full collection of a heap
 * of 5000 members takes a few milliseconds; at most one every COLLECT_EVERY_MS. Not when the hold
 * met its cap with the crowd still coming: a full collection stops the event loop, the door with it
 * (15–130 ms with 10 000 members), while the kernel's queue of connects fills.
 */
const COLLECT_EVERY_MS = 1000;

/**
 * Outboxes to write, in order: an array and a cursor. Not a Set: a set of 10 000 members holds a
 * hash table of about 100 bytes each, for as long as the set lives.
 */
class Queue<T> {
  #items: (T | undefined)[] = [];
  #next = 0;

  get size(): number {
    return this.#items.length - this.#next;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  /** The first item (the queue must not be empty), taken out. */
  take(): T {
    const item = this.#items[this.#next]!;
    this.#items[this.#next++] = undefined;
    if (this.#next === this.#items.length) {
      this.#items = [];
      this.#next = 0;
    } else if (this.#next >= 1024 && this.#next * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#next);
      this.#next = 0;
    }
    return item;
  }
}

export class Turn implements Schedule {
  /** Outboxes with something for their peer alone (a welcome, a reply, a goodbye): written first. An outbox schedules itself once. */
  readonly #direct = new Queue<Flushable>();
  /**
   * Readers of a channel not written since its last lines, in order, each once (marked waiting):
   * a reader still waiting from an earlier turn keeps its place, and writes the newer lines too when it comes.
   */
  readonly #readers = new Queue<Reader>();
  #channels: Broadcast[] = [];
  /** Channels with lines held back while a crowd arrives. */
  readonly #heldChannels = new Set<Broadcast>();
  /** Until then (ms, the turn's clock) channel readers are not written: a crowd is arriving. */
  #crowdUntil = 0;
  /** When the hold began. */
  #crowdSince = 0;
  /** The timer that ends a hold, when nothing else is to be written before. */
  #sleep?: Timer;
  #scheduled = false;
  #scratch = new Uint8Array(0);
  /** When the last turn wrote; none yet, so the first turn has nothing to coalesce with. */
  #lastFlush = -Infinity;
  #held = false;
  readonly #now: () => number;

  readonly #collect: () => void;
  #collected = -Infinity;

  /** now: the clock in milliseconds (a test may give one that does not move); collect: a full garbage collection. */
  constructor(now: () => number = () => performance.now(), collect: () => void = () => Bun.gc(true)) {
    this.#now = now;
    this.#collect = collect;
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
    this.#direct.push(outbox);
    this.#wake();
  }

  /** Writes every reader of the channel when this turn ends. */
  scheduleChannel(channel: Broadcast): void {
    this.#channels.push(channel);
    this.#wake();
  }

  /**
   * A crowd is arriving: the readers of channels wait until CROWD_MS from now (lines for one peer
   * do not). Said again while holding, the hold is stretched, up to CROWD_MAX_MS from its start; a
   * new hold begins only once every reader has written what the last one kept back: the room hears
   * of the crowd in rounds, never not at all.
   */
  holdForCrowd(): void {
    const now = this.#now();
    if (now < this.#crowdUntil) {
      this.#crowdUntil = Math.max(this.#crowdUntil, Math.min(this.#crowdSince + CROWD_MAX_MS, now + CROWD_MS));
      return;
    }
    if (this.#readers.size > 0 || this.#heldChannels.size > 0) return;
    this.#crowdSince = now;
    this.#crowdUntil = now + CROWD_MS;
  }

  #wake(): void {
    if (this.#sleep) {
      // Asleep until a hold ends: something new may be for one peer, and that does not wait.
      clearTimeout(this.#sleep);
      this.#sleep = undefined;
      this.#scheduled = false;
    }
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
    // A flush may queue more (a goodbye): the queue takes it at its end, and this loop still comes to it.
    while (this.#direct.size > 0 && due()) this.#direct.take().flush();
    const channels = this.#channels;
    this.#channels = [];
    const holding = start < this.#crowdUntil;
    if (holding) {
      // Their readers wait; a held channel is not settled, so its new lines do not schedule it again.
      for (const channel of channels) this.#heldChannels.add(channel);
    } else {
      // A hold that ran to its cap ended with the crowd still coming.
      const calm = this.#crowdUntil < this.#crowdSince + CROWD_MAX_MS;
      if (this.#heldChannels.size > 0 && calm && start - this.#collected >= COLLECT_EVERY_MS) {
        this.#collected = start;
        this.#collect();
      }
      for (const channel of this.#heldChannels) channels.push(channel);
      this.#heldChannels.clear();
      for (const channel of channels) {
        for (const reader of channel.readers) {
          if (reader.waiting) continue;
          reader.waiting = true;
          this.#readers.push(reader);
        }
      }
      while (this.#readers.size > 0 && due()) {
        const reader = this.#readers.take();
        reader.waiting = false;
        reader.flush();
      }
      for (const channel of channels) channel.settle();
    }
    this.#lastFlush = this.#now();
    this.#sleep = undefined;
    const now = this.#direct.size > 0 || this.#channels.length > 0 || (!holding && this.#readers.size > 0);
    const later = holding && (this.#readers.size > 0 || this.#heldChannels.size > 0);
    this.#scheduled = now || later;
    if (now) setImmediate(this.#end);
    // This turn's own writes may have outlasted the hold: then it ends at once (a timer in the past is a warning).
    else if (later) this.#sleep = setTimeout(this.#end, Math.max(0, this.#crowdUntil - this.#lastFlush));
  };
}
