// Bytes into lines and lines into bytes; MAX_LINE bounds what one line may hold.

export const MAX_LINE = 4096;
const LF = 0x0a;
const CR = 0x0d;
/** Shared by every reader with no half line: nothing is ever written into it. */
const NOTHING = new Uint8Array(0);

/**
 * Splits a connection's byte stream into lines, one reader per connection.
 * A line longer than maxLine bytes (not counting `\r\n`) is dropped and reported once; its bytes
 * are not kept, so a line with no end costs at most maxLine bytes of memory.
 */
export class LineReader {
  readonly #maxLine: number;
  #partial = NOTHING;
  #partialLength = 0;
  #skipping = false;

  constructor(maxLine = MAX_LINE) {
    this.#maxLine = maxLine;
  }

  /** Bytes of memory held for a half line: at most about maxLine, whatever arrives. */
  get held(): number {
    return this.#partial.length;
  }

  /** Calls onLine for every complete line in chunk (a view valid only during the call), onTooLong once per overlong line. */
  push(chunk: Uint8Array, onLine: (line: Uint8Array) => void, onTooLong: () => void): void {
    let start = 0;
    for (let end = chunk.indexOf(LF); end >= 0; end = chunk.indexOf(LF, start)) {
      if (this.#skipping) {
        this.#skipping = false; // the overlong line ends here; it was reported when it grew too long
      } else if (this.#partialLength + (end - start) > this.#maxLine + 1) {
        this.#partialLength = 0;
        onTooLong();
      } else if (this.#partialLength > 0) {
        this.#append(chunk, start, end);
        const line = this.#partial.subarray(0, this.#partialLength);
        this.#partialLength = 0;
        this.#emit(line, onLine, onTooLong);
      } else {
        this.#emit(chunk.subarray(start, end), onLine, onTooLong);
      }
      start = end + 1;
    }
    if (start >= chunk.length || this.#skipping) return;
    // +1: a line of exactly maxLine bytes may still be followed by its \r.
    if (this.#partialLength + (chunk.length - start) > this.#maxLine + 1) {
      this.#partialLength = 0;
      if (this.#partial.length > 4 * 1024) this.#partial = NOTHING;
      this.#skipping = true;
      onTooLong();
      return;
    }
    this.#append(chunk, start, chunk.length);
  }

  /** At end of input, an unfinished line still counts (as the seed's bufio.Scanner does). */
  finish(onLine: (line: Uint8Array) => void): void {
    const length = this.#partialLength;
    this.#partialLength = 0;
    if (length > 0 && !this.#skipping) this.#emit(this.#partial.subarray(0, length), onLine, () => {});
    this.#skipping = false;
  }

  #emit(line: Uint8Array, onLine: (line: Uint8Array) => void, onTooLong: () => void): void {
    const length = line.length > 0 && line[line.length - 1] === CR ? line.length - 1 : line.length;
    if (length > this.#maxLine) onTooLong();
    else onLine(length === line.length ? line : line.subarray(0, length));
  }

  #append(chunk: Uint8Array, start: number, end: number): void {
    const need = this.#partialLength + (end - start);
    if (need > this.#partial.length) {
      const grown = new Uint8Array(Math.max(need, Math.min(this.#partial.length * 2 || 256, this.#maxLine + 2)));
      grown.set(this.#partial.subarray(0, this.#partialLength));
      this.#partial = grown;
    }
    this.#partial.set(chunk.subarray(start, end), this.#partialLength);
    this.#partialLength = need;
  }
}

// Lines are split on the byte \n before decoding, and \n never occurs inside a UTF-8
// sequence, so a character split across packets is whole again by the time it is decoded.
const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
const encoder = new TextEncoder();

/**
 * Splits a stream of UTF-8 into text lines, decoding each chunk once rather than each line (the
 * client takes in far more lines than it sends). Like LineReader it drops `\r` before `\n`, and
 * a line longer than maxLine characters, so a line with no end costs at most that much memory.
 */
export class TextLineReader {
  readonly #maxLine: number;
  readonly #decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
  #partial = "";
  #skipping = false;

  constructor(maxLine = MAX_LINE) {
    this.#maxLine = maxLine;
  }

  /** Calls onLine for every complete line in chunk; returns how many there were. */
  push(chunk: Uint8Array, onLine: (line: string) => void): number {
    const text = this.#decoder.decode(chunk, { stream: true });
    let start = 0;
    let lines = 0;
    for (let end = text.indexOf("\n"); end >= 0; end = text.indexOf("\n", start)) {
      let line = start === 0 && this.#partial ? this.#partial + text.slice(0, end) : text.slice(start, end);
      if (start === 0) this.#partial = "";
      start = end + 1;
      lines++;
      if (this.#skipping) {
        this.#skipping = false;
        continue;
      }
      if (line.charCodeAt(line.length - 1) === 0x0d) line = line.slice(0, -1);
      if (line.length <= this.#maxLine) onLine(line);
    }
    if (start < text.length && !this.#skipping) {
      this.#partial = start === 0 ? this.#partial + text : text.slice(start);
      if (this.#partial.length > this.#maxLine + 1) {
        this.#partial = "";
        this.#skipping = true;
      }
    }
    return lines;
  }
}

/** Bad UTF-8 becomes U+FFFD. */
export function decodeLine(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** The bytes of a line as sent on the wire, `\n` included. */
export function encodeLine(line: string): Uint8Array {
  return encoder.encode(line + "\n");
}
