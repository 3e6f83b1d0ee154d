// Connections accepted but not yet in the room: let in once their greeting window has passed, a few milliseconds' worth per turn, so accepting never waits for the room.

/**
 * Joining a room of n people costs O(n): the newcomer is told who is here, everyone is told
 * of the newcomer. Accepting costs little, and the kernel keeps at most 512 connections waiting
 * to be accepted: past that it drops them, and each dropped one retries a second later. So a
 * connection is accepted at once and waits here; the waiting are let in, in order, for at most
 * BUDGET_MS per turn. One that speaks or leaves before its turn is let in at once.
 *
 * Each also waits out a greeting window first: a client's opening lines (`/mode json`,
 * `/nick NAME`) come with its first bytes, and arriving with them is arriving once, under its
 * name. For someone on nc the window is too short to notice.
 */
const BUDGET_MS = 5;
/** This many waiting at once is a crowd at the door: the room is told to hold its news of them a while (turn.ts). */
const CROWD = 32;

export class Lobby<T> {
  /** Who waits, and since when (performance.now()): in order of arrival, so also in order of their windows' end. */
  readonly #waiting = new Map<T, number>();
  readonly #enter: (who: T) => void;
  readonly #busy: () => boolean;
  readonly #windowMs: number;
  readonly #crowd: () => void;
  #scheduled = false;

  /**
   * busy: the welcomes of the last ones let in are not yet written; wait.
   * windowMs: how long each waits, at least, before its turn.
   * crowd: a crowd is waiting at the door.
   */
  constructor(enter: (who: T) => void, busy: () => boolean = () => false, windowMs = 0, crowd: () => void = () => {}) {
    this.#enter = enter;
    this.#busy = busy;
    this.#windowMs = windowMs;
    this.#crowd = crowd;
  }

  get size(): number {
    return this.#waiting.size;
  }

  add(who: T): void {
    this.#waiting.set(who, performance.now());
    if (!this.#scheduled) {
      this.#scheduled = true;
      this.#later(this.#windowMs);
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
    const now = performance.now();
    const deadline = now + BUDGET_MS;
    let wait = 0; // until the first one still in its window is due
    if (this.#waiting.size >= CROWD) this.#crowd();
    if (!this.#busy())
      for (const [who, since] of this.#waiting) {
        wait = since + this.#windowMs - now;
        if (wait > 0) break;
        this.#waiting.delete(who);
        this.#enter(who);
        if (performance.now() > deadline) break;
      }
    this.#scheduled = this.#waiting.size > 0;
    if (this.#scheduled) this.#later(wait);
  };

  #later(ms: number): void {
    if (ms > 0) setTimeout(this.#run, Math.ceil(ms));
    else setImmediate(this.#run);
  }
}
