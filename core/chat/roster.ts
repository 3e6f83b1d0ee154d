// Who is here, kept sorted by name as people come, go and change, with the names also kept joined and encoded: a welcome then costs a copy, not a sort.
import type { Presence } from "../wire/events.ts";
import { NAME_SEPARATOR } from "../wire/messages.ts";

const encoder = new TextEncoder();
const SEPARATOR = encoder.encode(NAME_SEPARATOR);

export class Roster {
  // Sorted by name in code-unit order; names are unique, so there are no ties. Names, not
  // objects: a crowd of 10 000 is 10 000 strings the hub holds anyway, and the few away marks
  // live beside them.
  readonly #names: string[] = [];
  readonly #away = new Map<string, string>();
  // The names joined by NAME_SEPARATOR, as UTF-8, and where each one starts.
  #joined = new Uint8Array(1024);
  #joinedLength = 0;
  readonly #starts: number[] = [];

  get size(): number {
    return this.#names.length;
  }

  /** Everyone, sorted, with their away marks: built for each call (a /who, a welcome in JSON), so it keeps what was true then. */
  get all(): Presence[] {
    return this.#names.map((name) => {
      const away = this.#away.get(name);
      return away === undefined ? { name } : { name, away };
    });
  }

  /** Everyone's name, sorted, joined by NAME_SEPARATOR, encoded. A view: copy it now, do not keep it. */
  get joinedNames(): Uint8Array {
    return this.listed(this.#names.length);
  }

  /** The first n names (or all, if fewer), sorted, joined and encoded. A view: copy it now, do not keep it. */
  listed(n: number): Uint8Array {
    const end = n < this.#starts.length ? this.#starts[n]! - SEPARATOR.length : this.#joinedLength;
    return this.#joined.subarray(0, Math.max(0, end));
  }

  add(name: string, away?: string): void {
    const at = this.#find(name);
    this.#names.splice(at, 0, name);
    if (away !== undefined) this.#away.set(name, away);
    const bytes = encoder.encode(name);
    // The first name is followed by a separator, any other one preceded by one.
    const first = this.#names.length === 1;
    const start = at < this.#starts.length ? this.#starts[at]! : this.#joinedLength + (first ? 0 : SEPARATOR.length);
    const offset = at < this.#starts.length ? start : start - (first ? 0 : SEPARATOR.length);
    const grow = bytes.length + (first ? 0 : SEPARATOR.length);
    this.#open(offset, grow);
    if (at < this.#starts.length) {
      this.#joined.set(bytes, offset);
      this.#joined.set(SEPARATOR, offset + bytes.length);
    } else {
      if (!first) this.#joined.set(SEPARATOR, offset);
      this.#joined.set(bytes, start);
    }
    for (let i = at; i < this.#starts.length; i++) this.#starts[i]! += grow;
    this.#starts.splice(at, 0, start);
  }

  remove(name: string): void {
    const at = this.#find(name);
    if (this.#names[at] !== name) return;
    this.#names.splice(at, 1);
    this.#away.delete(name);
    const last = at === this.#starts.length - 1;
    // Take the name with the separator after it, or before it for the last name.
    const from = last ? Math.max(0, this.#starts[at]! - SEPARATOR.length) : this.#starts[at]!;
    const to = last ? this.#joinedLength : this.#starts[at + 1]!;
    this.#joined.copyWithin(from, to, this.#joinedLength);
    this.#joinedLength -= to - from;
    this.#starts.splice(at, 1);
    for (let i = at; i < this.#starts.length; i++) this.#starts[i]! -= to - from;
  }

  rename(from: string, to: string): void {
    const away = this.#away.get(from);
    this.remove(from);
    this.add(to, away);
  }

  /** undefined: back. */
  setAway(name: string, away: string | undefined): void {
    if (this.#names[this.#find(name)] !== name) return;
    if (away === undefined) this.#away.delete(name);
    else this.#away.set(name, away);
  }

  /** Makes a gap of n bytes at offset in the joined names. */
  #open(offset: number, n: number): void {
    const length = this.#joinedLength + n;
    if (length > this.#joined.length) {
      const grown = new Uint8Array(Math.max(length, this.#joined.length * 2));
      grown.set(this.#joined.subarray(0, this.#joinedLength));
      this.#joined = grown;
    }
    this.#joined.copyWithin(offset + n, offset, this.#joinedLength);
    this.#joinedLength = length;
  }

  /** Where name is, or would go. */
  #find(name: string): number {
    let lo = 0;
    let hi = this.#names.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#names[mid]! < name) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
