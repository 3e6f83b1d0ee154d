// How far a piped client may run ahead of the room's echo of its lines, so the server never has to drop it as too slow.

/**
 * The room sends every chat line back to its sender. A pipe reads its input far faster than it
 * can take in that echo, and a server drops a client whose queue passes its cap (1 MiB by
 * default). So input goes out only while at most WINDOW_LINES lines and WINDOW_BYTES bytes are
 * still waiting for lines to come back. Lines that are not echoed (commands, blank or refused
 * lines) must not hold the pipe up: when nothing has come back for STALL_MS, the server is not
 * echoing, so nothing piles up there either, and the next piece goes out anyway.
 */
const WINDOW_LINES = 2000;
const WINDOW_BYTES = 128 * 1024;
const STALL_MS = 20;
/** Input is sent in pieces of at most this many bytes, cut after a newline where there is one. */
export const PIECE_BYTES = 32 * 1024;
const LF = 0x0a;

export class Pacer {
  /** Lines and bytes sent so far, and the same totals at the end of each piece still unanswered. */
  #linesOut = 0;
  #bytesOut = 0;
  readonly #pieces: { lines: number; bytes: number }[] = [];
  #linesBack = 0;
  #bytesAnswered = 0;
  #wake?: () => void;
  #lastBack = performance.now();

  /** Lines came back from the room. */
  back(lines: number): void {
    if (lines === 0) return;
    this.#linesBack += lines;
    this.#lastBack = performance.now();
    while (this.#pieces.length > 0 && this.#pieces[0]!.lines <= this.#linesBack) this.#bytesAnswered = this.#pieces.shift()!.bytes;
    if (this.#wake && this.#hasRoom()) this.#wake();
  }

  /** Resolves when the next piece may go out. */
  async room(): Promise<void> {
    const start = performance.now();
    while (!this.#hasRoom()) {
      const stalled = STALL_MS - (performance.now() - Math.max(this.#lastBack, start));
      if (stalled <= 0) return;
      let timer: Timer | undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        timer = setTimeout(resolve, stalled);
      });
      clearTimeout(timer);
      this.#wake = undefined;
    }
  }

  /** A piece went out. */
  sent(piece: Uint8Array): void {
    this.#linesOut += countLines(piece);
    this.#bytesOut += piece.length;
    this.#pieces.push({ lines: this.#linesOut, bytes: this.#bytesOut });
  }

  #hasRoom(): boolean {
    return this.#linesOut - this.#linesBack <= WINDOW_LINES && this.#bytesOut - this.#bytesAnswered <= WINDOW_BYTES;
  }
}

/** Splits a chunk of input into pieces of at most PIECE_BYTES, each ending at a newline where possible. */
export function* pieces(chunk: Uint8Array): Generator<Uint8Array> {
  let start = 0;
  while (chunk.length - start > PIECE_BYTES) {
    const limit = start + PIECE_BYTES;
    const cut = chunk.lastIndexOf(LF, limit - 1);
    const end = cut >= start ? cut + 1 : limit;
    yield chunk.subarray(start, end);
    start = end;
  }
  if (start < chunk.length) yield start === 0 ? chunk : chunk.subarray(start);
}

export function countLines(bytes: Uint8Array): number {
  let n = 0;
  for (let at = bytes.indexOf(LF); at >= 0; at = bytes.indexOf(LF, at + 1)) n++;
  return n;
}
