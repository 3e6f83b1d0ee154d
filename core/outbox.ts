// Each connection's outgoing bytes: queued, written once per event-loop turn, capped, and closed without losing the last line.

/** The part of a Bun socket an outbox needs. */
export interface Writable {
  write(data: Uint8Array): number;
  shutdown(halfClose?: boolean): void;
  terminate(): void;
}

/** Writes every dirty outbox once at the end of the current turn. */
export class Flusher {
  #dirty: Outbox[] = [];
  #scheduled = false;

  schedule(outbox: Outbox): void {
    this.#dirty.push(outbox);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flushAll);
    }
  }

  readonly #flushAll = (): void => {
    this.#scheduled = false;
    const dirty = this.#dirty;
    this.#dirty = [];
    for (const outbox of dirty) outbox.flush();
  };
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

export class Outbox {
  readonly #socket: Writable;
  readonly #flusher: Flusher;
  readonly #options: OutboxOptions;
  // write() counts bytes, so the queue holds bytes, not strings.
  #chunks: Uint8Array[] = [];
  #queued = 0;
  #dirty = false;
  #blocked = false; // the kernel took less than asked: wait for drain
  #state: State = "open";
  #linger?: Timer;
  #finSent = false;

  constructor(socket: Writable, flusher: Flusher, options: OutboxOptions) {
    this.#socket = socket;
    this.#flusher = flusher;
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
    if (this.#state !== "open") return;
    this.#chunks.push(bytes);
    this.#queued += bytes.length;
    if (this.#queued > this.#options.maxQueue) {
      // Over the cap within one turn is not slowness yet: see what the kernel takes now.
      if (!this.#blocked) this.flush();
      if (this.#queued > this.#options.maxQueue) this.#overflow();
      return;
    }
    if (!this.#dirty && !this.#blocked) {
      this.#dirty = true;
      this.#flusher.schedule(this);
    }
  }

  /** Writes what is queued: once per turn, and again on drain. */
  flush(): void {
    this.#dirty = false;
    this.#blocked = false;
    if (this.#state === "closed") return;
    if (this.#queued > 0) {
      const data = this.#chunks.length === 1 ? this.#chunks[0]! : join(this.#chunks, this.#queued);
      const written = this.#socket.write(data);
      if (written < 0) return this.#drop(); // the socket is already closed
      if (written < data.length) {
        // Bun keeps nothing beyond what write() took: the rest stays here until drain.
        this.#chunks = [data.subarray(written)];
        this.#queued = data.length - written;
        this.#blocked = true;
        return;
      }
      this.#chunks = [];
      this.#queued = 0;
    }
    if (this.#state === "closing") this.#shutdown();
  }

  /** Sends what is queued, then closes: FIN, and a reset if the peer has not closed within the linger time. */
  end(): void {
    if (this.#state !== "open") return;
    this.#state = "closing";
    this.#linger = setTimeout(() => this.terminate(), this.#options.lingerMs ?? 2000);
    if (!this.#blocked) this.flush();
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
    this.#chunks = [];
    this.#queued = 0;
    clearTimeout(this.#linger);
  }
}

function join(chunks: Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
