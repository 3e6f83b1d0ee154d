// Who is here, kept sorted by name as people come, go and change, with the names also kept joined and encoded: a welcome then costs a copy, not a sort.
import type { Presence } from "../wire/events.ts";
import { NAME_SEPARATOR } from "../wire/messages.ts";

const encoder = new TextEncoder();
const SEPARATOR = encoder.encode(NAME_SEPARATOR);

export class Roster {
  // Sorted by name in code-unit order; names are unique, so there are no ties.
  readonly #list: Presence[] = [];
  // The names joined by NAME_SEPARATOR, as UTF-8, and where each one starts.
  #joined = new Uint8Array(1024);
  #joinedLength = 0;
  readonly #starts: number[] = [];

  /** Everyone, sorted. A view: read it now, do not keep it. */
  get all(): readonly Presence[] {
    return this.#list;
  }

  /** Everyone's name, sorted, joined by NAME_SEPARATOR, encoded. A view: copy it now, do not keep it. */
  get joinedNames(): Uint8Array {
    return this.#joined.subarray(0, this.#joinedLength);
  }

  add(name: string, away?: string): void {
    const at = this.#find(name);
    this.#list.splice(at, 0, away === undefined ? { name } : { name, away });
    const bytes = encoder.encode(name);
    // The first name is followed by a separator, any other one preceded by one.
    const first = this.#list.length === 1;
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
    if (this.#list[at]?.name !== name) return;
    this.#list.splice(at, 1);
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
    const away = this.#list[this.#find(from)]?.away;
    this.remove(from);
    this.add(to, away);
  }

  /** undefined: back. */
  setAway(name: string, away: string | undefined): void {
    const at = this.#find(name);
    // A new object: an event already built keeps what was true when it was built.
    if (this.#list[at]?.name === name) this.#list[at] = away === undefined ? { name } : { name, away };
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
    let hi = this.#list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#list[mid]!.name < name) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
