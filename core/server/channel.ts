// The room's broadcast stream: lines laid down once, in segments, read by every outbox from its own position.
import type { Broadcast, Reader, Schedule } from "./schedule.ts";

const SEGMENT = 64 * 1024;
/** Emptied segments kept for reuse. */
const SPARE = 4;

/**
 * A broadcast is appended here once, however many members get it. Positions count bytes from
 * the channel's start; each reader keeps only its position and writes from the shared
 * segments, so a member that falls behind costs its position, not a copy of what it missed.
 * A segment is let go once every reader has written past it (outboxes drop a reader that falls
 * more than its cap behind, which bounds what is kept).
 */
export class Channel implements Broadcast {
  /** Readers that get every line appended. */
  readonly readers = new Set<Reader>();
  /** Readers that get nothing new but still write what was appended before they left. */
  readonly leaving = new Set<Reader>();
  readonly #turn: Schedule;
  readonly #segments: Uint8Array[] = [];
  /** Stream position of each segment's first byte. */
  readonly #starts: number[] = [];
  readonly #spare: Uint8Array[] = [];
  #head = 0;
  /** Appended to since the turn began: its readers are flushed when the turn ends. */
  #fresh = false;
  /** Where this turn's lines begin. */
  #turnStart = 0;

  constructor(turn: Schedule) {
    this.#turn = turn;
  }

  /** The stream position after the last byte appended. */
  get head(): number {
    return this.#head;
  }

  /** Bytes appended this turn. */
  get fresh(): number {
    return this.#fresh ? this.#head - this.#turnStart : 0;
  }

  append(bytes: Uint8Array): void {
    if (this.readers.size === 0 || bytes.length === 0) return;
    if (!this.#fresh) {
      this.#fresh = true;
      this.#turnStart = this.#head;
      this.#turn.scheduleChannel(this);
    }
    let from = 0;
    while (from < bytes.length) {
      let last = this.#segments.length - 1;
      let used = last < 0 ? 0 : this.#head - this.#starts[last]!;
      if (last < 0 || used === this.#segments[last]!.length) {
        this.#segments.push(this.#spare.pop() ?? new Uint8Array(SEGMENT));
        this.#starts.push(this.#head);
        last++;
        used = 0;
      }
      const segment = this.#segments[last]!;
      const n = Math.min(bytes.length - from, segment.length - used);
      segment.set(from === 0 && n === bytes.length ? bytes : bytes.subarray(from, from + n), used);
      from += n;
      this.#head += n;
    }
  }

  /**
   * Which segment holds position (which must be before head). A number, not an object: every
   * outbox asks once per write, and a storm of arrivals is hundreds of thousands of writes.
   */
  segmentOf(position: number): number {
    let i = this.#segments.length - 1;
    while (this.#starts[i]! > position) i--; // readers are mostly near the head
    return i;
  }

  /** Segment i's bytes: stream position startOf(i) is its first byte. */
  segment(i: number): Uint8Array {
    return this.#segments[i]!;
  }

  startOf(i: number): number {
    return this.#starts[i]!;
  }

  /** The stream position after segment i's last byte written so far. */
  endOf(i: number): number {
    return Math.min(this.#head, this.#starts[i]! + this.#segments[i]!.length);
  }

  /** Copies stream bytes [from, to) into out at offset. */
  copy(from: number, to: number, out: Uint8Array, offset: number): void {
    while (from < to) {
      const i = this.segmentOf(from);
      const start = from - this.#starts[i]!;
      const n = Math.min(to, this.endOf(i)) - from;
      out.set(this.#segments[i]!.subarray(start, start + n), offset);
      offset += n;
      from += n;
    }
  }

  /** The turn has ended: let go of what every reader has written. */
  settle(): void {
    this.#fresh = false;
    let lowest = this.#head;
    for (const reader of this.readers) if (reader.position < lowest) lowest = reader.position;
    for (const reader of this.leaving) if (reader.position < lowest) lowest = reader.position;
    // Keep the segment being filled; drop the ones wholly behind every reader.
    while (this.#segments.length > 1 && this.#starts[1]! <= lowest) {
      const segment = this.#segments.shift()!;
      this.#starts.shift();
      if (this.#spare.length < SPARE && segment.length === SEGMENT) this.#spare.push(segment);
    }
    if (this.#segments.length === 1 && lowest === this.#head && this.#head - this.#starts[0]! === this.#segments[0]!.length) {
      // Everyone is at the head and the last segment is full: the next append starts a new one.
      const segment = this.#segments.pop()!;
      this.#starts.pop();
      if (this.#spare.length < SPARE) this.#spare.push(segment);
    }
  }
}
