// The last chat lines of the room, in a ring: adding is O(1) and the oldest line falls out.
import type { Said } from "../wire/events.ts";

export class History {
  readonly #ring: (Said | undefined)[];
  #next = 0;
  #size = 0;

  constructor(capacity: number) {
    this.#ring = new Array(Math.max(0, capacity));
  }

  get size(): number {
    return this.#size;
  }

  add(said: Said): void {
    const capacity = this.#ring.length;
    if (capacity === 0) return;
    this.#ring[this.#next] = said;
    this.#next = (this.#next + 1) % capacity;
    if (this.#size < capacity) this.#size++;
  }

  /** Oldest first. */
  lines(): Said[] {
    const capacity = this.#ring.length;
    const out: Said[] = [];
    for (let i = 0; i < this.#size; i++) out.push(this.#ring[(this.#next - this.#size + i + capacity) % capacity]!);
    return out;
  }
}
