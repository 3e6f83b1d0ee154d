// Connections accepted but not yet in the room: let in a few milliseconds' worth per turn, so accepting never waits for the room.

/**
 * Joining a room of n people costs O(n): the newcomer is told who is here, everyone is told
 * of the newcomer. Accepting costs little, and the kernel keeps at most 512 connections waiting
 * to be accepted: past that it drops them, and each dropped one retries a second later. So a
 * connection is accepted at once and waits here; the waiting are let in, in order, for at most
 * BUDGET_MS per turn. One that speaks or leaves before its turn is let in at once.
 */
const BUDGET_MS = 5;

export class Lobby<T> {
  readonly #waiting = new Set<T>();
  readonly #enter: (who: T) => void;
  readonly #busy: () => boolean;
  #scheduled = false;

  /** busy: the welcomes of the last ones let in are not yet written; wait. */
  constructor(enter: (who: T) => void, busy: () => boolean = () => false) {
    this.#enter = enter;
    this.#busy = busy;
  }

  get size(): number {
    return this.#waiting.size;
  }

  add(who: T): void {
    this.#waiting.add(who);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#run);
    }
  }

  /** Lets who in now, if it is still waiting. */
  letIn(who: T): void {
    if (this.#waiting.delete(who)) this.#enter(who);
  }

  /** Takes who out without letting it in; true if it was waiting. */
  remove(who: T): boolean {
    return this.#waiting.delete(who);
  }

  /** Nobody waiting will be let in. */
  clear(): void {
    this.#waiting.clear();
  }

  readonly #run = (): void => {
    const deadline = performance.now() + BUDGET_MS;
    if (!this.#busy())
      for (const who of this.#waiting) {
        this.#waiting.delete(who);
        this.#enter(who);
        if (performance.now() > deadline) break;
      }
    this.#scheduled = this.#waiting.size > 0;
    if (this.#scheduled) setImmediate(this.#run);
  };
}
