// The room password at the door: asked before anything else, three tries with a pause after each wrong one.
import type { Secret } from "../chat/secret.ts";

export const MAX_TRIES = 3;
/** Answers kept while a wrong one is being paused on: enough for the tries left, not a buffer to fill. */
const MAX_WAITING = 8;

export interface LoginHandlers {
  /** Ask (again): `* password:`. */
  ask(): void;
  /** A wrong answer, after the pause; `last` when no try is left. */
  refuse(last: boolean): void;
  /** The right answer; `after` holds the lines that came behind it while a wrong one was paused on, to be read as chat. */
  admit(after: string[]): void;
  /** The peer has finished sending (see end()) and no answer of its is left to judge: it leaves without getting in. */
  left(): void;
}

/**
 * One connection's password step. A wrong answer is refused only after `pauseMs`, and answers
 * that arrive meanwhile wait their turn: sending many guesses at once is no faster than one by one.
 */
export class Login {
  readonly #secret: Secret;
  readonly #pauseMs: number;
  readonly #handlers: LoginHandlers;
  #tries = 0;
  #waiting: string[] | undefined; // defined while pausing
  #timer?: Timer;
  #done = false;
  #ended = false;

  constructor(secret: Secret, pauseMs: number, handlers: LoginHandlers) {
    this.#secret = secret;
    this.#pauseMs = pauseMs;
    this.#handlers = handlers;
  }

  start(): void {
    this.#handlers.ask();
  }

  answer(line: string): void {
    if (this.#done) return;
    if (this.#waiting) {
      if (this.#waiting.length < MAX_WAITING) this.#waiting.push(line);
      return;
    }
    this.#check(line, []);
  }

  /** The peer will send nothing more: answers already sent are still judged, each after its pause; then it has left. */
  end(): void {
    if (this.#done) return;
    this.#ended = true;
    if (!this.#waiting) this.#leave();
  }

  /** The connection is gone: no more replies. */
  cancel(): void {
    this.#done = true;
    clearTimeout(this.#timer);
    this.#waiting = undefined;
  }

  #check(line: string, behind: string[]): void {
    if (this.#secret.matches(line)) {
      this.#done = true;
      return this.#handlers.admit(behind);
    }
    this.#tries++;
    this.#waiting = behind;
    this.#timer = setTimeout(() => {
      const waiting = this.#waiting ?? [];
      this.#waiting = undefined;
      const last = this.#tries >= MAX_TRIES;
      this.#handlers.refuse(last);
      if (last) return this.cancel();
      this.#handlers.ask();
      const next = waiting.shift();
      if (next !== undefined) this.#check(next, waiting);
      else if (this.#ended) this.#leave();
    }, this.#pauseMs);
  }

  #leave(): void {
    this.cancel();
    this.#handlers.left();
  }
}
