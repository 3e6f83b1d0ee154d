// Each connection's outgoing bytes: queued, written once per event-loop turn, capped, and closed without losing the last line.
import { Backlog } from "./backlog.ts";
import type { Turn } from "./turn.ts";

/** The part of a Bun socket an outbox needs. */
export interface Writable {
  write(data: Uint8Array, byteOffset?: number, byteLength?: number): number;
  shutdown(halfClose?: boolean): void;
  terminate(): void;
}

export interface OutboxOptions {
  /** Bytes that may wait for a peer before it is dropped as too slow. */
  maxQueue: number;
  /** Called once when the queue passes maxQueue; the outbox takes nothing more. */
  onOverflow: () => void;
  /** How long a goodbye may wait for the queue to drain and the peer to close. */
  lingerMs?: number;
}

type State = "open" | "closing" | "closed";

/**
 * What waits, in order: the backlog (bytes from earlier turns the kernel has not taken), then
 * this turn's pieces (runs of the turn's log, or arrays too long to share), then the run
 * [from, to) of the log still growing. A member that gets every broadcast has only that run.
 */
export class Outbox {
  readonly #socket: Writable;
  readonly #turn: Turn;
  readonly #options: OutboxOptions;
  // write() counts bytes, so the queue holds bytes, not strings.
  readonly #backlog = new Backlog();
  #pieces: Uint8Array[] | undefined;
  #from = 0;
  #to = 0;
  /** The turn the run and pieces belong to. */
  #generation = -1;
  #queued = 0;
  #dirty = false;
  #blocked = false; // the kernel took less than asked: wait for drain
  #state: State = "open";
  #linger?: Timer;
  #finSent = false;

  constructor(socket: Writable, turn: Turn, options: OutboxOptions) {
    this.#socket = socket;
    this.#turn = turn;
    this.#options = options;
  }

  /** Bytes accepted but not yet taken by the kernel. */
  get queued(): number {
    return this.#queued;
  }

  get open(): boolean {
    return this.#state === "open";
  }

  send(bytes: Uint8Array): void {
    if (this.#state !== "open" || bytes.length === 0) return;
    const turn = this.#turn;
    const at = turn.place(bytes);
    if (this.#generation !== turn.generation) {
      this.#generation = turn.generation;
      this.#pieces = undefined;
      this.#from = this.#to = at < 0 ? 0 : at;
      if (at < 0) this.#pieces = [bytes];
      else this.#to += bytes.length;
    } else if (at >= 0 && at === this.#to) {
      this.#to += bytes.length; // the common case: the next line of the same run
    } else {
      const pieces = (this.#pieces ??= []);
      if (this.#to > this.#from) pieces.push(turn.log.subarray(this.#from, this.#to));
      if (at < 0) {
        pieces.push(bytes);
        this.#from = this.#to = 0;
      } else {
        this.#from = at;
        this.#to = at + bytes.length;
      }
    }
    this.#queued += bytes.length;
    if (this.#queued > this.#options.maxQueue) {
      // Over the cap within one turn is not slowness yet: see what the kernel takes now.
      if (!this.#blocked) this.flush();
      if (this.#queued > this.#options.maxQueue) this.#overflow();
      return;
    }
    if (!this.#dirty) {
      // Even when blocked: at the end of the turn this turn's bytes move from the log to the backlog.
      this.#dirty = true;
      turn.schedule(this);
    }
  }

  /** Writes what is queued: once per turn, and again on drain. */
  flush(): void {
    this.#dirty = false;
    if (this.#state === "closed") return;
    const turn = this.#turn;
    const current = this.#generation === turn.generation;
    const backlog = this.#backlog;
    if (this.#blocked) {
      // Still waiting for drain: keep this turn's bytes, the log is about to be reused.
      if (current) this.#keep();
      return;
    }
    if (backlog.length > 0) {
      if (current) this.#keep();
      const length = backlog.length;
      const written = this.#socket.write(backlog.buffer, backlog.head, length);
      if (written < 0) return this.#drop(); // the socket is already closed
      backlog.consume(written);
      if (written < length) this.#blocked = true; // Bun keeps nothing beyond what write() took
    } else if (current && (this.#pieces || this.#to > this.#from)) {
      let data: Uint8Array;
      let start: number;
      let length: number;
      if (this.#pieces) {
        data = this.#gather(turn);
        start = 0;
        length = this.#queued;
      } else {
        data = turn.log;
        start = this.#from;
        length = this.#to - this.#from;
      }
      this.#generation = -1;
      this.#pieces = undefined;
      const written = this.#socket.write(data, start, length);
      if (written < 0) return this.#drop();
      if (written < length) {
        backlog.append(data, start + written, start + length);
        this.#blocked = true;
      }
    }
    this.#queued = backlog.length;
    if (this.#queued === 0 && this.#state === "closing") this.#shutdown();
  }

  /** The socket can take more: write from where it stopped. */
  drained(): void {
    this.#blocked = false;
    this.flush();
  }

  /** Sends what is queued, then closes: FIN, and a reset if the peer has not closed within the linger time. */
  end(): void {
    if (this.#state !== "open") return;
    this.#state = "closing";
    this.#linger = setTimeout(() => this.terminate(), this.#options.lingerMs ?? 2000);
    this.flush();
  }

  /** Closes now, dropping what is queued. */
  terminate(): void {
    if (this.#state === "closed") return;
    this.#drop();
    this.#socket.terminate();
  }

  /** The socket has closed: forget everything. */
  closed(): void {
    this.#drop();
  }

  /** Moves this turn's pieces and run into the backlog, after what is already there. */
  #keep(): void {
    const backlog = this.#backlog;
    if (this.#pieces) for (const piece of this.#pieces) backlog.append(piece);
    backlog.append(this.#turn.log, this.#from, this.#to);
    this.#generation = -1;
    this.#pieces = undefined;
    this.#from = this.#to = 0;
  }

  /** This turn's pieces and run, end to end in the turn's scratch buffer. */
  #gather(turn: Turn): Uint8Array {
    const out = turn.scratch(this.#queued);
    let offset = 0;
    for (const piece of this.#pieces!) {
      out.set(piece, offset);
      offset += piece.length;
    }
    if (this.#to > this.#from) out.set(turn.log.subarray(this.#from, this.#to), offset);
    return out;
  }

  #shutdown(): void {
    if (this.#finSent) return;
    this.#finSent = true;
    // end() can lose bytes already accepted; shutdown() sends FIN after them and keeps reading.
    this.#socket.shutdown();
  }

  #overflow(): void {
    this.#drop();
    this.#options.onOverflow();
  }

  #drop(): void {
    this.#state = "closed";
    this.#backlog.clear();
    this.#pieces = undefined;
    this.#generation = -1;
    this.#queued = 0;
    clearTimeout(this.#linger);
  }
}
