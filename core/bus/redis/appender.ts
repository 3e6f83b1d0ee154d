// This node's changes on their way into the cluster's stream: held in order while Redis is away, appended once each.
import { APPLY_EFFECTS_LUA, encodeEffects, type Effect } from "./effects.ts";
import type { Keys } from "./keys.ts";
import { LinkDown, type Link } from "./link.ts";
import { Script } from "./script.ts";

/**
 * KEYS: the stream, the origin's sequence key. ARGV: origin, MAXLEN, the sequence of the batch's first change, how many
 * changes, their data joined by newlines (JSON has none of its own), then per change with effects its index in the
 * batch, the number of its effects and their words. The batch becomes one entry of the stream, which readers split
 * again: one append and one entry to read for up to BATCH changes. Changes whose sequence is not past the origin's
 * last are cut off the front: a batch that was rejected in flight may have run, and sending it again must not append
 * it twice. A batch that does not follow on from the last (an earlier one failed while this one was in flight) is
 * refused whole, so nothing is appended out of order; without a last (a new origin, or Redis lost its data) any
 * batch follows.
 */
const APPEND = new Script(`${APPLY_EFFECTS_LUA}
local origin, maxlen, first, count, data = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local held = redis.call('GET', KEYS[2])
local last = tonumber(held or '0')
local skip = 0
if held and last >= first then skip = last - first + 1 end
if skip >= count then return 0 end
if held and first + skip ~= last + 1 then return redis.error_reply('GAP the batch does not follow on from ' .. last) end
if skip > 0 then
  local at = 1
  for _ = 1, skip do at = string.find(data, '\\n', at, true) + 1 end
  data = string.sub(data, at)
end
local i = 6
while i <= #ARGV do
  local index, n = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
  if index >= skip then apply(ARGV, i + 2, n) end
  i = i + 2 + 4 * n
end
redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxlen, '*', 'o', origin, 's', tostring(first + skip), 'd', data)
redis.call('SET', KEYS[2], first + count - 1, 'PX', 86400000)
return count - skip
`);

/** Changes in one script call, and so in one entry of the stream, at most: small enough that readers see a burst's first lines early. */
const BATCH = 64;
/** Data in one entry at most, past its first change: the stream's length bound counts entries, and an entry stays about the size of one long line. */
const BATCH_BYTES = 4096;
/**
 * Calls on their way at once: Redis runs them in order on the one connection, so they pipeline. Only once
 * Redis has acknowledged a call since the start or the last failure, though: until then it may hold no last
 * sequence for this node (a new node, or Redis lost its data), and without one the script takes any batch.
 * Were a first call to fail (NOSCRIPT, which another server's EVAL may cure before the second call runs, or a
 * lost request) while a second one ran, the first one's changes would then be taken for already appended.
 */
const IN_FLIGHT = 4;
/** A call that does not answer in this long is taken for a dead connection. */
const APPEND_TIMEOUT_MS = 5000;

interface Pending {
  seq: number;
  data: string;
  effects: readonly string[];
}

export interface AppenderOptions {
  /** Entries held at most while Redis is away or slow; past it, append refuses. */
  cap: number;
  /** The stream's approximate length bound: generous, since a reader further behind than this loses entries. */
  maxlen: number;
  /** Told about a failure other than a lost connection (a script error, Redis out of memory); the batch is tried again. */
  warn?: (message: string) => void;
}

export class Appender {
  readonly #link: Link;
  readonly #keys: Keys;
  readonly #options: AppenderOptions;
  readonly #origin: string;
  #seq = 0;
  readonly #pending: Pending[] = [];
  /** Entries at the front of pending already on their way. */
  #sent = 0;
  #inFlight = 0;
  /** Bumped when the calls on their way are given up for lost. */
  #generation = 0;
  #failures = 0;
  /** Redis has acknowledged a call of this generation: it holds this node's last sequence, and calls may pipeline. */
  #confirmed = false;
  #pausing = false;
  #waiting = false;
  /** A pump is due at the end of this task. */
  #soon = false;
  #closed = false;
  #idle: (() => void)[] = [];
  /** Entries appended to the stream (acknowledged by Redis). */
  appended = 0;

  constructor(link: Link, keys: Keys, origin: string, options: AppenderOptions) {
    this.#link = link;
    this.#keys = keys;
    this.#origin = origin;
    this.#options = options;
  }

  get origin(): string {
    return this.#origin;
  }

  /** Entries not yet acknowledged by Redis: the lines held while it is away. */
  get held(): number {
    return this.#pending.length;
  }

  /**
   * Queues an entry after every earlier one; false when the queue is full (Redis away too long), and
   * nothing is queued. The entry comes back through the stream's reader, here as on every other node.
   */
  append(data: string, effects: readonly Effect[] = []): boolean {
    if (this.#pending.length >= this.#options.cap || this.#closed) return false;
    this.#pending.push({ seq: ++this.#seq, data, effects: encodeEffects(effects) });
    // Sent at the end of the task that appended: the lines of one chunk from a socket go out as one call,
    // not the first few alone.
    if (!this.#soon) {
      this.#soon = true;
      queueMicrotask(this.#pumpSoon);
    }
    return true;
  }

  readonly #pumpSoon = (): void => {
    this.#soon = false;
    this.#pump();
  };

  /** Resolves once everything held has been appended (or at once when nothing is). */
  drained(): Promise<void> {
    if (this.#pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  close(): void {
    this.#closed = true;
    for (const wake of this.#idle.splice(0)) wake();
  }

  /** The next changes not on their way yet: up to BATCH of them, and past the first, up to BATCH_BYTES of data. */
  #batch(): Pending[] {
    const end = Math.min(this.#pending.length, this.#sent + BATCH);
    let bytes = this.#pending[this.#sent]!.data.length;
    let i = this.#sent + 1;
    for (; i < end; i++) {
      bytes += this.#pending[i]!.data.length + 1;
      if (bytes > BATCH_BYTES) break;
    }
    return this.#pending.slice(this.#sent, i);
  }

  /** Sends what is not on its way yet, up to IN_FLIGHT calls; each reply takes its entries off the front. */
  #pump(): void {
    if (this.#closed || this.#link.closed) return;
    if (!this.#link.up) {
      if (!this.#waiting) {
        this.#waiting = true;
        void this.#link.whenUp().then(() => {
          this.#waiting = false;
          this.#pump();
        });
      }
      return;
    }
    while (this.#inFlight < (this.#confirmed ? IN_FLIGHT : 1) && this.#sent < this.#pending.length && !this.#pausing) {
      const batch = this.#batch();
      this.#sent += batch.length;
      this.#inFlight++;
      const generation = this.#generation;
      const data: string[] = [];
      const effects: string[] = [];
      for (const [index, entry] of batch.entries()) {
        data.push(entry.data);
        if (entry.effects.length > 0) effects.push(String(index), String(entry.effects.length / 4), ...entry.effects);
      }
      const args = [this.#origin, String(this.#options.maxlen), String(batch[0]!.seq), String(batch.length), data.join("\n"), ...effects];
      APPEND.run(this.#link, [this.#keys.log, this.#keys.seq(this.#origin)], args, APPEND_TIMEOUT_MS).then(
        () => {
          if (generation !== this.#generation) return; // sent again since; the script skips it then
          this.#inFlight--;
          this.#pending.splice(0, batch.length);
          this.#sent -= batch.length;
          this.appended += batch.length;
          this.#failures = 0;
          this.#confirmed = true;
          if (this.#pending.length === 0) for (const wake of this.#idle.splice(0)) wake();
          this.#pump();
        },
        (error: Error) => {
          if (generation !== this.#generation) return;
          // Rejected in flight: it may have run. Everything not acknowledged goes again, in order, and the script
          // skips what is there; the calls still on their way belong to the old generation and are ignored.
          this.#generation++;
          this.#confirmed = false;
          this.#inFlight = 0;
          this.#sent = 0;
          if (!this.#link.up) return this.#pump();
          this.#failures++;
          const lost = error instanceof LinkDown || (error as { code?: string }).code === "ERR_REDIS_CONNECTION_CLOSED";
          if (!lost && !String(error.message).startsWith("GAP")) this.#options.warn?.(`appending to the cluster failed (${error.message}); trying again`);
          this.#pausing = true;
          setTimeout(() => {
            this.#pausing = false;
            this.#pump();
          }, Math.min(1000, 50 * this.#failures));
        },
      );
    }
  }
}
