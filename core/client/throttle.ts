// The client's copy of the server's flood limit: lines go out no faster than the server lets them in.
import { decodeLine } from "../wire/framing.ts";
import { cleanText, isBlank } from "../wire/sanitize.ts";

const LF = 0x0a;
/** How much lateness on the way (ms) the bucket leaves room for, so that two lines bunched up in transit still pass. */
const SLACK_MS = 500;

/**
 * The server gives each client a bucket of `burst` lines, refilled at `rate` a second, from the
 * moment it lets the client in, which is before the client's first line. This bucket starts at
 * the client's first line, so it is never fuller than the server's; it is also kept a few tokens
 * short (SLACK_MS' worth, at most half the burst), so lines the network or a busy server bunches
 * together still find tokens there. Until the welcome says what the limits are, lines are
 * counted, not held: only the client's own first few lines go out then.
 */
export class Throttle {
  /** Lines a second; 0 while unknown or when the server sets no limit. */
  #rate = 0;
  #capacity = 0;
  #tokens = 0;
  #last = 0;
  /** Lines sent before the limits were known. */
  #early = 0;
  #timer?: Timer;
  #wake?: () => void;

  /** From the welcome; rate 0 means the server does not limit. */
  setLimits(rate: number, burst: number): void {
    if (!(rate > 0)) {
      this.#rate = 0;
      this.#wake?.();
      return;
    }
    const full = Math.max(1, Math.floor(burst));
    const slack = Math.min(Math.ceil((rate * SLACK_MS) / 1000), Math.floor(full / 2));
    this.#rate = rate;
    this.#capacity = full - slack;
    this.#tokens = this.#capacity - this.#early;
    this.#last = performance.now();
  }

  get limited(): boolean {
    return this.#rate > 0;
  }

  /** Lines that may go now. */
  available(): number {
    if (!this.limited) return Infinity;
    this.#refill();
    return Math.max(0, Math.floor(this.#tokens));
  }

  /** Lines went out. */
  take(lines: number): void {
    if (!this.limited) {
      this.#early += lines;
      return;
    }
    this.#refill();
    this.#tokens -= lines;
  }

  #refill(): void {
    const now = performance.now();
    this.#tokens = Math.min(this.#capacity, this.#tokens + ((now - this.#last) * this.#rate) / 1000);
    this.#last = now;
  }

  /** Resolves once a line may go. */
  async ready(): Promise<void> {
    while (this.available() < 1) {
      const ms = ((1 - this.#tokens) * 1000) / this.#rate;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.#timer = setTimeout(resolve, Math.max(1, Math.ceil(ms)));
      });
      clearTimeout(this.#timer);
      this.#wake = undefined;
    }
  }

  /**
   * The longest start of bytes that may go now, waiting for a token if none is left; its lines
   * are taken. midLine says the bytes continue a line begun earlier. Blank lines cost nothing:
   * the server ignores them.
   */
  async cut(bytes: Uint8Array, midLine: boolean): Promise<Uint8Array> {
    if (!this.limited) return bytes;
    let start = 0;
    let spent = 0;
    for (let end = bytes.indexOf(LF); end >= 0; end = bytes.indexOf(LF, start)) {
      const blank = !(midLine && start === 0) && blankLine(bytes.subarray(start, end));
      if (!blank) {
        if (this.available() - spent < 1) {
          if (start > 0) {
            this.take(spent);
            return bytes.subarray(0, start);
          }
          await this.ready();
        }
        spent++;
      }
      start = end + 1;
    }
    this.take(spent);
    return bytes; // what follows the last whole line goes too: the server counts a line only at its end
  }
}

function blankLine(line: Uint8Array): boolean {
  const first = line[0];
  if (first !== undefined && first > 0x20 && first < 0x7f) return false;
  return isBlank(cleanText(decodeLine(line)));
}
