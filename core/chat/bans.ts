// Who is kept out: banned address ranges, each with an optional end and the name it was given for, and their JSON form.
import { contains, formatCidr, parseCidr, sameRange, type Cidr, type Ip } from "../wire/cidr.ts";
import { nameKey } from "../wire/sanitize.ts";

export interface Ban {
  range: Cidr;
  /** The name of the person banned, to recognise the entry by. */
  label?: string;
  /** Milliseconds since the epoch; absent: until lifted. */
  until?: number;
}

export class Bans {
  #list: Ban[];
  readonly #changed: (bans: readonly Ban[]) => void;

  /** `changed` is called after every change, with the bans still in force (the --state file is written there). */
  constructor(list: Ban[] = [], changed: (bans: readonly Ban[]) => void = () => {}) {
    this.#list = list;
    this.#changed = changed;
  }

  /** How many bans there are, in force or not: none, and nobody's address need be read. */
  get size(): number {
    return this.#list.length;
  }

  /** The ban that keeps ip out at time now, if any. */
  find(ip: Ip | undefined, now: number): Ban | undefined {
    if (!ip) return undefined;
    return this.#list.find((ban) => inForce(ban, now) && contains(ban.range, ip));
  }

  /** Bans the range; a ban of the same range is replaced. */
  add(ban: Ban, now: number): void {
    this.#list = this.#list.filter((b) => !sameRange(b.range, ban.range));
    this.#list.push(ban);
    this.#commit(now);
  }

  /** Lifts the bans of a range (`10.0.0.0/8`, `10.1.2.3`) or given for a name; returns those lifted. */
  remove(target: string, now: number): Ban[] {
    const range = parseCidr(target);
    const key = nameKey(target);
    const lifted = this.#list.filter((b) => (range !== undefined && sameRange(b.range, range)) || (b.label !== undefined && nameKey(b.label) === key));
    if (lifted.length > 0) {
      this.#list = this.#list.filter((b) => !lifted.includes(b));
      this.#commit(now);
    }
    return lifted;
  }

  /** All of them at once: a cluster's bans, as a server joining it finds them. */
  replace(list: Ban[], now: number): void {
    this.#list = list;
    this.#commit(now);
  }

  /** The bans in force, oldest first. */
  list(now: number): Ban[] {
    return this.#list.filter((b) => inForce(b, now));
  }

  #commit(now: number): void {
    this.#list = this.list(now); // expired bans go when something else changes
    this.#changed(this.#list);
  }
}

/** No end, or an end still to come. */
function inForce(ban: Ban, now: number): boolean {
  return ban.until === undefined || ban.until > now;
}

interface StoredBan {
  range: string;
  label?: string;
  until?: string;
}

/** The --state file: a version, and the bans with their ends as ISO times. */
export function serializeBans(bans: readonly Ban[]): string {
  const stored: StoredBan[] = bans.map((b) => ({
    range: formatCidr(b.range),
    ...(b.label === undefined ? {} : { label: b.label }),
    ...(b.until === undefined ? {} : { until: new Date(b.until).toISOString() }),
  }));
  return `${JSON.stringify({ version: 1, bans: stored }, null, 2)}\n`;
}

/** Reads serializeBans' output; anything else is an Error saying what is wrong, never an empty list. */
export function parseBans(text: string): Ban[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new Error("not valid JSON");
  }
  const root = data as { version?: unknown; bans?: unknown };
  if (typeof data !== "object" || data === null || root.version !== 1) throw new Error('expected an object with "version": 1');
  if (!Array.isArray(root.bans)) throw new Error('expected a "bans" list');
  return root.bans.map((entry: unknown, i: number): Ban => {
    const e = (entry ?? {}) as Record<string, unknown>;
    const range = typeof e.range === "string" ? parseCidr(e.range) : undefined;
    if (!range) throw new Error(`ban ${i + 1}: "range" is not an IP address or CIDR range`);
    if (e.label !== undefined && typeof e.label !== "string") throw new Error(`ban ${i + 1}: "label" is not a string`);
    const until = typeof e.until === "string" ? Date.parse(e.until) : undefined;
    if (e.until !== undefined && !Number.isFinite(until)) throw new Error(`ban ${i + 1}: "until" is not a time`);
    return { range, ...(e.label === undefined ? {} : { label: e.label as string }), ...(until === undefined ? {} : { until }) };
  });
}
