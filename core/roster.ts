// Who is here, kept sorted by name as people come, go and change: a welcome then costs one pass, not a sort.
import type { Presence } from "./events.ts";

export class Roster {
  // Sorted by name in code-unit order; names are unique, so there are no ties.
  readonly #list: Presence[] = [];

  /** Everyone, sorted. A view: read it now, do not keep it. */
  get all(): readonly Presence[] {
    return this.#list;
  }

  add(name: string, away?: string): void {
    this.#list.splice(this.#find(name), 0, away === undefined ? { name } : { name, away });
  }

  remove(name: string): void {
    const at = this.#find(name);
    if (this.#list[at]?.name === name) this.#list.splice(at, 1);
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
