// The cluster's stream read in order on a connection of its own, resumed from the last entry after a drop, each entry delivered once.
import type { Keys } from "./keys.ts";
import type { Link } from "./link.ts";

/** One change read from the stream. */
export interface Entry {
  /** The ID of the stream entry that held it (with the rest of its batch): Redis's time of the append in milliseconds, a dash, a counter. */
  id: string;
  origin: string;
  seq: number;
  data: string;
}

export interface ReaderOptions {
  /** Every new change, in the stream's order, once. */
  deliver(entry: Entry): void;
  /** After each batch read, with the ID of its last entry. */
  read?(last: string): void;
  /** Entries of an origin went missing (trimmed by MAXLEN, or lost by Redis): said, never silent. */
  gap?(origin: string, missing: number): void;
  /** The stream was read again from its start because Redis lost its data. */
  reset?(): void;
}

/** How long one XREAD waits for news; a blocked read ties up its connection, which is why it has its own. */
const BLOCK_MS = 2000;
/** Past the block, how long a read may take before its connection is taken for dead. */
const SLACK_MS = 3000;
const COUNT = 1000;

export class Reader {
  readonly #link: Link;
  readonly #keys: Keys;
  readonly #options: ReaderOptions;
  #last: string;
  #epoch: string | null;
  /** The last sequence delivered from each origin: an entry appended twice (a retry after Redis lost data) is dropped. */
  readonly #seen = new Map<string, number>();
  #running = false;
  /** Entries skipped because they had been delivered already. */
  duplicates = 0;
  /** Milliseconds from the append (Redis's clock) to the delivery here (this clock), summed, and how many. */
  lagSum = 0;
  lagCount = 0;

  /** from: the ID of the last entry already known (never `$`: entries appended meanwhile would be skipped). */
  constructor(link: Link, keys: Keys, from: string, epoch: string | null, options: ReaderOptions) {
    this.#link = link;
    this.#keys = keys;
    this.#last = from;
    this.#epoch = epoch;
    this.#options = options;
  }

  get last(): string {
    return this.#last;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    void this.#loop();
  }

  async #loop(): Promise<void> {
    let checked = true;
    while (!this.#link.closed) {
      if (!this.#link.up) {
        await this.#link.whenUp();
        checked = false;
        continue;
      }
      try {
        if (!checked) {
          await this.#checkEpoch();
          checked = true;
        }
        const reply = await this.#link.send(
          "XREAD",
          ["COUNT", String(COUNT), "BLOCK", String(BLOCK_MS), "STREAMS", this.#keys.log, this.#last],
          BLOCK_MS + SLACK_MS,
        );
        if (reply) {
          this.#take(reply);
          this.#options.read?.(this.#last);
        }
      } catch {
        // The connection dropped (the link reconnects) or Redis refused: read again from the last entry.
        if (this.#link.up) await Bun.sleep(100);
        checked = false;
      }
    }
  }

  /** After a reconnect: a Redis that came back without its data has a new stream, read from its start. */
  async #checkEpoch(): Promise<void> {
    const epoch = (await this.#link.send("GET", [this.#keys.epoch])) as string | null;
    if (epoch !== null && epoch === this.#epoch) return;
    this.#epoch = epoch;
    this.#last = "0-0";
    this.#options.reset?.();
  }

  #take(reply: unknown): void {
    const now = Date.now();
    for (const [id, fields] of entriesOf(reply, this.#keys.log)) {
      this.#last = id;
      let origin = "";
      let first = 0;
      let data = "";
      for (let i = 0; i + 1 < fields.length; i += 2) {
        const field = fields[i];
        if (field === "o") origin = fields[i + 1]!;
        else if (field === "s") first = Number(fields[i + 1]);
        else if (field === "d") data = fields[i + 1]!;
      }
      const lag = Math.max(0, now - Number(id.slice(0, id.indexOf("-"))));
      // One entry holds a batch of an origin's changes, one per line, numbered on from its first.
      for (let at = 0, seq = first; ; seq++) {
        const end = data.indexOf("\n", at);
        this.#one(id, origin, seq, data.slice(at, end < 0 ? data.length : end), lag);
        if (end < 0) break;
        at = end + 1;
      }
    }
  }

  #one(id: string, origin: string, seq: number, data: string, lag: number): void {
    const seen = this.#seen.get(origin) ?? 0;
    if (seq <= seen) {
      this.duplicates++;
      return;
    }
    if (seq > seen + 1 && seen > 0) this.#options.gap?.(origin, seq - seen - 1);
    this.#seen.set(origin, seq);
    this.lagSum += lag;
    this.lagCount++;
    this.#options.deliver({ id, origin, seq, data });
  }
}

/** The entries of one stream in an XREAD reply: a RESP3 map `{key: entries}`, or RESP2's `[[key, entries]]`. */
function entriesOf(reply: unknown, key: string): [string, string[]][] {
  if (Array.isArray(reply)) {
    for (const pair of reply) if (Array.isArray(pair) && pair[0] === key) return pair[1] as [string, string[]][];
    return [];
  }
  return ((reply as Record<string, [string, string[]][]>)[key] ?? []) as [string, string[]][];
}
