// What a client knows of the room in JSON mode: its own name, the events as they come, and claiming the name it asked for.
import type { Event, Limits } from "../wire/events.ts";
import { MAX_NAME } from "../wire/sanitize.ts";

export type Timed = Event & { ts: number };

export interface SessionHandlers {
  /** An event from the server, with the raw JSON line it came in. */
  event(event: Timed, json: string): void;
  /** Something the client itself has to say (the name it got instead of the one asked for). */
  notice(text: string): void;
}

/** How many variants of a taken name to try before keeping the one the server gave. */
const MAX_TRIES = 20;

export class Session {
  /** Our name as the server knows it. */
  name?: string;
  /** The room we are in (`#dev`), from a server with rooms. */
  room?: string;
  /** The language of the server's words, from its welcome. */
  lang: "en" | "zh" = "en";
  /** What the server allows, from its welcome; undefined from a server that does not say. */
  limits?: Limits;
  /** The server dropped a line of ours as too fast (`* slow down`). */
  slowedDown = false;
  /** Resolves once the name asked for is settled, taken, or refused. */
  readonly settled: Promise<void>;
  readonly #handlers: SessionHandlers;
  readonly #send: (line: string) => void;
  readonly #wanted?: string;
  #trying?: string;
  #tries = 0;
  #settle!: () => void;
  #heardPlain = false;
  #turnedAway?: string;

  constructor(wanted: string | undefined, send: (line: string) => void, handlers: SessionHandlers) {
    this.#wanted = wanted;
    this.#send = send;
    this.#handlers = handlers;
    this.settled = new Promise((resolve) => (this.#settle = resolve));
  }

  /** The first lines to send, all at once: switch to JSON, then claim the name. */
  opening(): string[] {
    if (!this.#wanted) return ["/mode json"];
    this.#trying = this.#wanted;
    return ["/mode json", `/nick ${this.#wanted}`];
  }

  /**
   * Why the server closed without letting us in (`server is full`, `server shutting down`, …):
   * its first line, when that was a notice rather than the welcome.
   */
  get turnedAway(): string | undefined {
    return this.name === undefined ? this.#turnedAway : undefined;
  }

  /** Whether the server answered `/mode json` with its JSON welcome, as chat does. */
  get joined(): boolean {
    return this.name !== undefined;
  }

  /**
   * A line from the server. Lines before the JSON welcome are chat's plain welcome, repeated in
   * JSON, a refusal, or the lines of a server that is not chat: the caller keeps those.
   */
  line(text: string): void {
    const event = text.charCodeAt(0) === 0x7b /* { */ ? parseEvent(text) : undefined;
    if (!event || (!this.joined && event.type !== "welcome")) {
      if (!this.#heardPlain && text.startsWith("* ")) this.#turnedAway = text.slice(2);
      this.#heardPlain = true;
      return;
    }
    switch (event.type) {
      case "welcome":
        this.name = event.name;
        this.lang = event.lang ?? "en";
        this.room = event.room;
        if (event.rate !== undefined && event.burst !== undefined && event.maxLine !== undefined)
          this.limits = { rate: event.rate, burst: event.burst, maxLine: event.maxLine };
        // A server that applies the opening lines before greeting welcomes us under the name asked for.
        if (this.#trying !== undefined && this.#trying === event.name) this.#done();
        else if (!this.#wanted || this.#wanted === event.name) this.#settle();
        break;
      case "nick":
        if (event.from !== this.name) break;
        this.name = event.to;
        if (this.#trying === event.to) this.#done();
        break;
      case "room":
        this.room = event.room;
        break;
      case "notice":
        if (this.#trying !== undefined && event.name === this.#trying && this.#claimReply(event.code)) return;
        if (event.code === "slow_down") this.slowedDown = true;
        break;
    }
    this.#handlers.event(event, text);
  }

  /** True if the notice answered our claim and is handled here. */
  #claimReply(code: string | undefined): boolean {
    const asked = this.#trying!;
    if (code === "name_taken" && this.#tries < MAX_TRIES) {
      this.#claim(variant(this.#wanted!, ++this.#tries + 1));
      return true;
    }
    if (code === "name_taken" || code === "name_invalid") {
      this.#handlers.notice(`could not take the name ${asked}; you are ${this.name}`);
      this.#done();
      return true;
    }
    if (code === "name_unchanged") {
      this.#done();
      return true;
    }
    return false;
  }

  #claim(name: string): void {
    this.#trying = name;
    this.#send(`/nick ${name}`);
  }

  #done(): void {
    if (this.#trying && this.#wanted && this.#trying !== this.#wanted && this.name === this.#trying)
      this.#handlers.notice(`the name ${this.#wanted} is taken; you are ${this.#trying}`);
    this.#trying = undefined;
    this.#settle();
  }
}

function parseEvent(text: string): Timed | undefined {
  try {
    const event = JSON.parse(text) as Timed;
    return typeof event === "object" && event !== null && typeof event.type === "string" ? event : undefined;
  } catch {
    return undefined;
  }
}

/** `alice-2`, shortened so that the result is still a valid name. */
function variant(name: string, n: number): string {
  const suffix = `-${n}`;
  return [...name].slice(0, MAX_NAME - suffix.length).join("") + suffix;
}
