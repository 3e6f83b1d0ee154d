// This node's changes on their way into the cluster's stream: held in order while Redis is away, appended once each.
import { APPLY_EFFECTS_LUA, encodeEffects, type Effect } from "./effects.ts";
import type { Keys } from "./keys.ts";
import type { Link } from "./link.ts";
import { Script } from "./script.ts";

/**
 * KEYS: the stream, the origin's sequence key. ARGV: origin, MAXLEN, then per entry its sequence, its data,
 * the number of its effects and their words. An entry whose sequence is not past the origin's last is skipped:
 * a batch that was rejected in flight may have run, and sending it again must not append it twice.
 */
const APPEND = new Script(`${APPLY_EFFECTS_LUA}
local origin, maxlen = ARGV[1], ARGV[2]
local last = tonumber(redis.call('GET', KEYS[2]) or '0')
local i, added = 3, 0
while i <= #ARGV do
  local seq, n = tonumber(ARGV[i]), tonumber(ARGV[i + 2])
  if seq > last then
    apply(ARGV, i + 3, n)
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', maxlen, '*', 'o', origin, 's', ARGV[i], 'd', ARGV[i + 1])
    last = seq
    added = added + 1
  end
  i = i + 3 + 4 * n
end
redis.call('SET', KEYS[2], last, 'PX', 86400000)
return added
`);

/** Entries sent in one script call at most: a burst goes in a few round trips, and no call holds Redis for long. */
const BATCH = 256;
/** A call that does not answer in this long is taken for a dead connection. */
const APPEND_TIMEOUT_MS = 5000;

interface Pending {
  seq: number;
  data: string;
  effects: string[];
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
  #pumping = false;
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
    if (!this.#pumping) void this.#pump();
    return true;
  }

  /** Resolves once everything held has been appended (or at once when nothing is). */
  drained(): Promise<void> {
    if (this.#pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  close(): void {
    this.#closed = true;
    for (const wake of this.#idle.splice(0)) wake();
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    let failures = 0;
    while (this.#pending.length > 0 && !this.#closed && !this.#link.closed) {
      if (!this.#link.up) {
        await this.#link.whenUp();
        continue;
      }
      const batch = this.#pending.slice(0, BATCH);
      const args = [this.#origin, String(this.#options.maxlen)];
      for (const entry of batch) args.push(String(entry.seq), entry.data, String(entry.effects.length / 4), ...entry.effects);
      try {
        await APPEND.run(this.#link, [this.#keys.log, this.#keys.seq(this.#origin)], args, APPEND_TIMEOUT_MS);
        this.#pending.splice(0, batch.length);
        this.appended += batch.length;
        failures = 0;
      } catch (error) {
        // Rejected in flight: it may have run. The same batch goes again, and the script skips what is there.
        if (this.#link.up) {
          failures++;
          this.#options.warn?.(`appending to the cluster failed (${(error as Error).message}); trying again`);
          await Bun.sleep(Math.min(1000, 50 * failures));
        }
      }
    }
    this.#pumping = false;
    if (this.#pending.length === 0) for (const wake of this.#idle.splice(0)) wake();
  }
}
