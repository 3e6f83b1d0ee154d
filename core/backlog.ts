// Bytes a peer has not taken yet, in one buffer, so the next write starts where the kernel stopped.

const EMPTY = new Uint8Array(0);
/** A buffer this big is given back once it empties: thousands of idle peers should cost nothing. */
const KEEP_AT_MOST = 16 * 1024;

export class Backlog {
  #buffer = EMPTY;
  #head = 0;
  #tail = 0;

  get length(): number {
    return this.#tail - this.#head;
  }

  /** The waiting bytes are buffer[head, head + length). */
  get buffer(): Uint8Array {
    return this.#buffer;
  }

  get head(): number {
    return this.#head;
  }

  /** Copies bytes[from, to) in after what is waiting. */
  append(bytes: Uint8Array, from = 0, to = bytes.length): void {
    const n = to - from;
    if (n <= 0) return;
    if (this.#tail + n > this.#buffer.length) this.#makeRoom(n);
    this.#buffer.set(from === 0 && to === bytes.length ? bytes : bytes.subarray(from, to), this.#tail);
    this.#tail += n;
  }

  /** The kernel took n bytes from the head. */
  consume(n: number): void {
    this.#head += n;
    if (this.#head < this.#tail) return;
    this.#head = this.#tail = 0;
    if (this.#buffer.length > KEEP_AT_MOST) this.#buffer = EMPTY;
  }

  clear(): void {
    this.#head = this.#tail = 0;
    this.#buffer = EMPTY;
  }

  #makeRoom(n: number): void {
    const length = this.length;
    if (length + n <= this.#buffer.length && this.#head >= length) {
      // Enough room once the taken bytes at the front are reused, and the move is short.
      this.#buffer.copyWithin(0, this.#head, this.#tail);
    } else {
      const grown = new Uint8Array(Math.max(length + n, this.#buffer.length * 2, 4096));
      grown.set(this.#buffer.subarray(this.#head, this.#tail));
      this.#buffer = grown;
    }
    this.#head = 0;
    this.#tail = length;
  }
}
