// The embedded default: one process, every change applied at once, names claimed in a map.
import type { Bus, Names } from "./bus.ts";
import type { Shared } from "./shared.ts";

export class LocalBus implements Bus {
  readonly node = "local";
  readonly names = new LocalNames();
  #apply: (change: Shared) => void = () => {};
  #delivering = false;
  /** Changes published while one is being applied: they follow it, in order, rather than cut into it. */
  readonly #queue: Shared[] = [];

  publish(change: Shared): void {
    if (this.#delivering) {
      this.#queue.push(change);
      return;
    }
    this.#delivering = true;
    try {
      this.#apply(change);
      if (this.#queue.length > 0) this.#drain();
    } finally {
      this.#delivering = false;
    }
  }

  // Apart from publish: emptying the queue costs tens of ns, and most changes queue nothing.
  #drain(): void {
    try {
      for (let i = 0; i < this.#queue.length; i++) this.#apply(this.#queue[i]!);
    } finally {
      this.#queue.length = 0;
    }
  }

  onDeliver(apply: (change: Shared) => void): void {
    this.#apply = apply;
  }
}

export class LocalNames implements Names {
  readonly #owners = new Map<string, string>();

  claim(key: string, owner: string): boolean {
    const holder = this.#owners.get(key);
    if (holder !== undefined) return holder === owner;
    this.#owners.set(key, owner);
    return true;
  }

  release(key: string, owner: string): void {
    if (this.#owners.get(key) === owner) this.#owners.delete(key);
  }
}
