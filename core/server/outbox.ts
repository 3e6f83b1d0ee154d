// Each connection's outgoing bytes: queued, written once per event-loop turn, capped, and closed without losing the last line.
import type { Channel } from "./channel.ts";
import type { Reader, Schedule } from "./schedule.ts";

/** The part of a Bun socket an outbox needs. */
export interface Writable {
  write(data: Uint8Array, byteOffset?: number, byteLength?: number): number;
  shutdown(halfClose?: boolean): void;
  terminate(): void;
}

export interface OutboxOptions {
  /** Bytes that may wait for a peer before it is dropped as too slow. */
  maxQueue: number;
  /** Called once, with the outbox's socket, when the queue passes maxQueue; the outbox takes nothing more. */
  onOverflow: (socket: Writable) => void;
  /** How long a goodbye may wait for the queue to drain and the peer to close. */
  lingerMs?: number;
}

/** Bytes for this peer alone, and the stream position they follow. */
interface Piece {
  bytes: Uint8Array;
  after: number;
}

type State = "open" | "closing" | "closed";

/** Shared by every outbox with no piece waiting, and never added to: most of a crowd never has one. */
const NO_PIECES: readonly Piece[] = Object.freeze([]);

/** Up to this many waiting bytes are copied together for one write; more go out span by span. */
const GATHER_AT_MOST = 64 * 1024;

/**
 * What waits: the channel's stream from `position` to its head, with the pieces sent to this
 * peer alone slotted in where they were sent. Nothing is copied to wait: the stream is shared
 * and a piece is kept as given, so a member that falls behind costs a position and a few
 * references. A write that the kernel takes only part of just moves the position on.
 */
export class Outbox implements Reader {
  readonly #socket: Writable;
  readonly #turn: Schedule;
  readonly #options: OutboxOptions;
  #channel?: Channel;
  #position = 0;
  /** Where this outbox stops reading its channel: it has left, and gets nothing broadcast after. */
  #stop = Infinity;
  // write() counts bytes, so pieces are bytes, not strings.
  #pieces = NO_PIECES as Piece[];
  #first = 0; // pieces before this one are written
  #offset = 0; // bytes of the first piece already written
  #piecesLength = 0; // bytes of pieces not yet written
  #dirty = false;
  #blocked = false; // the kernel took less than asked: wait for drain
  #state: State = "open";
  #linger?: Timer;
  #finSent = false;
  waiting = false;

  constructor(socket: Writable, turn: Schedule, options: OutboxOptions) {
    this.#socket = socket;
    this.#turn = turn;
    this.#options = options;
  }

  /** Where in its channel's stream this outbox has written up to. */
  get position(): number {
    return this.#position;
  }

  /** Bytes accepted but not yet taken by the kernel. */
  get queued(): number {
    return this.#streamEnd - this.#position + this.#piecesLength;
  }

  /** The end of what this outbox is to write from its channel. */
  get #streamEnd(): number {
    return this.#channel ? Math.min(this.#channel.head, this.#stop) : 0;
  }

  get open(): boolean {
    return this.#state === "open";
  }

  /** From now on the outbox also gets every line of channel (none: undefined); what came before stays queued. */
  subscribe(channel: Channel | undefined): void {
    if (this.#channel === channel && this.#stop === Infinity) return;
    if (channel) this.#copyOut();
    else return this.#leaveChannel();
    if (this.#state !== "open") return;
    this.#channel = channel;
    channel.readers.add(this);
    this.#position = channel.head;
    // What waits already goes before anything broadcast from now on.
    for (let i = this.#first; i < this.#pieces.length; i++) this.#pieces[i]!.after = channel.head;
  }

  // A getter: TypeScript would take #state as unchanged across #pump(), which can close the outbox.
  get #closed(): boolean {
    return this.#state === "closed";
  }

  /**
   * Bytes for this peer alone, after everything queued before. The caller may reuse bytes: what
   * waits is a copy. With nothing waiting and the kernel keeping up, they are written at once:
   * there is nothing to batch them with yet, and held for the turn's end they would be copied.
   * A crowd's welcomes (each up to a kilobyte of names) held and copied by the thousand took 40 %
   * of the heap an arrival grew by (3.9 KB before, 2.3 after), and the storm's peak heap 5 MiB.
   */
  send(bytes: Uint8Array): void {
    if (this.#state !== "open" || bytes.length === 0) return;
    let from = 0;
    if (!this.#blocked && this.queued === 0) {
      const written = this.#socket.write(bytes);
      if (written < 0) return this.#drop(); // the socket is already closed
      if (written === bytes.length) return;
      this.#blocked = true; // Bun keeps nothing beyond what write() took
      from = written;
    }
    const kept = bytes.slice(from);
    if (this.#pieces === NO_PIECES) this.#pieces = [];
    this.#pieces.push({ bytes: kept, after: this.#streamEnd });
    this.#piecesLength += kept.length;
    if (this.queued > this.#options.maxQueue) {
      // Over the cap within one turn is not slowness yet: see what the kernel takes now.
      if (!this.#blocked) this.flush();
      if (this.queued > this.#options.maxQueue) this.#overflow();
      return;
    }
    this.#schedule();
  }

  /** Writes what is queued: once per turn, and again on drain. */
  flush(): void {
    this.#dirty = false;
    if (this.#state === "closed") return;
    if (!this.#blocked) this.#pump();
    if (this.#closed) return;
    if (this.queued > this.#options.maxQueue) return this.#overflow();
    if (this.#state === "closing" && this.queued === 0) this.#shutdown();
  }

  /** The socket can take more: write from where it stopped, with the rest of this turn's writes. */
  drained(): void {
    this.#blocked = false;
    if (this.#state !== "closed") this.#schedule();
  }

  /** Sends what is queued, then closes: FIN, and a reset if the peer has not closed within the linger time. */
  end(): void {
    if (this.#state !== "open") return;
    this.#state = "closing";
    this.#linger = setTimeout(() => this.terminate(), this.#options.lingerMs ?? 2000);
    this.#leaveChannel();
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

  /** Writes until everything is out or the kernel takes less than asked. */
  #pump(): void {
    let waiting = this.queued;
    while (waiting > 0) {
      let data: Uint8Array;
      let start: number;
      let length: number;
      const piece = this.#first < this.#pieces.length ? this.#pieces[this.#first]! : undefined;
      const streamEnd = piece ? piece.after : this.#streamEnd;
      // Where the waiting part of the stream starts, if any does: one lookup per write.
      const channel = this.#channel;
      const at = this.#position < streamEnd ? channel!.segmentOf(this.#position) : -1;
      if (waiting <= GATHER_AT_MOST && (piece !== undefined || channel!.endOf(at) < streamEnd)) {
        // Stream and pieces, or stream across segments: one copy, one write.
        data = this.#gather(waiting);
        start = 0;
        length = waiting;
      } else if (at >= 0) {
        data = channel!.segment(at);
        start = this.#position - channel!.startOf(at);
        length = Math.min(streamEnd, channel!.endOf(at)) - this.#position;
      } else {
        data = piece!.bytes;
        start = this.#offset;
        length = data.length - start;
      }
      const written = this.#socket.write(data, start, length);
      if (written < 0) return this.#drop(); // the socket is already closed
      this.#advance(written);
      if (written < length) {
        this.#blocked = true; // Bun keeps nothing beyond what write() took
        return;
      }
      waiting -= written;
    }
  }

  /** Written when the turn ends. */
  #schedule(): void {
    if (this.#dirty) return;
    this.#dirty = true;
    this.#turn.schedule(this);
  }

  /** The next n waiting bytes, in order, in the turn's scratch buffer. */
  #gather(n: number): Uint8Array {
    const out = this.#turn.scratch(n);
    let position = this.#position;
    let offset = this.#offset;
    let filled = 0;
    for (let i = this.#first; filled < n; i++) {
      const piece = this.#pieces[i];
      const streamEnd = piece ? piece.after : this.#streamEnd;
      if (position < streamEnd) {
        this.#channel!.copy(position, streamEnd, out, filled);
        filled += streamEnd - position;
        position = streamEnd;
      }
      if (!piece) break;
      out.set(offset === 0 ? piece.bytes : piece.bytes.subarray(offset), filled);
      filled += piece.bytes.length - offset;
      offset = 0;
    }
    return out;
  }

  /** n bytes were written: move past them in the stream and the pieces. */
  #advance(n: number): void {
    while (n > 0) {
      const piece = this.#first < this.#pieces.length ? this.#pieces[this.#first]! : undefined;
      const streamEnd = piece ? piece.after : this.#streamEnd;
      if (this.#position < streamEnd) {
        const step = Math.min(n, streamEnd - this.#position);
        this.#position += step;
        n -= step;
        continue;
      }
      const step = Math.min(n, piece!.bytes.length - this.#offset);
      this.#offset += step;
      this.#piecesLength -= step;
      n -= step;
      if (this.#offset === piece!.bytes.length) {
        this.#first++;
        this.#offset = 0;
      }
    }
    if (this.#first === this.#pieces.length && this.#first > 0) {
      this.#pieces = NO_PIECES as Piece[];
      this.#first = 0;
    }
    if (this.#position >= this.#stop) this.#detach();
  }

  /**
   * Stops taking the channel's lines: what was broadcast before stays to be written from the
   * channel, which keeps it (nothing is copied: a room's worth of members leaving at once would
   * otherwise each copy what the ones before them said).
   */
  #leaveChannel(): void {
    const channel = this.#channel;
    if (!channel || this.#stop !== Infinity) return;
    channel.readers.delete(this);
    this.#stop = channel.head;
    if (this.#position >= this.#stop) return this.#detach();
    channel.leaving.add(this);
    // The channel writes only the readers it still has: this one goes on its own.
    this.#schedule();
  }

  /** Everything wanted from the channel is written: let go of it. */
  #detach(): void {
    this.#forgetChannel();
    for (let i = this.#first; i < this.#pieces.length; i++) this.#pieces[i]!.after = 0;
  }

  /** No channel: no position in one, and no place among its readers. */
  #forgetChannel(): void {
    this.#channel?.readers.delete(this);
    this.#channel?.leaving.delete(this);
    this.#channel = undefined;
    this.#stop = Infinity;
    this.#position = 0;
  }

  /** Stops reading the channel at once, for another: the part of its stream still waiting is copied out, in order, as pieces. */
  #copyOut(): void {
    const channel = this.#channel;
    if (!channel) return;
    const end = this.#streamEnd;
    let position = this.#position;
    this.#forgetChannel();
    const pieces: Piece[] = [];
    const copyTo = (end: number) => {
      if (position >= end) return;
      const bytes = new Uint8Array(end - position);
      channel.copy(position, end, bytes, 0);
      pieces.push({ bytes, after: 0 });
      this.#piecesLength += bytes.length;
      position = end;
    };
    for (let i = this.#first; i < this.#pieces.length; i++) {
      const piece = this.#pieces[i]!;
      copyTo(piece.after);
      pieces.push(i === this.#first && this.#offset > 0 ? { bytes: piece.bytes.subarray(this.#offset), after: 0 } : { ...piece, after: 0 });
    }
    copyTo(end);
    this.#pieces = pieces.length > 0 ? pieces : (NO_PIECES as Piece[]);
    this.#first = 0;
    this.#offset = 0;
    if (pieces.length > 0) this.#schedule();
  }

  #shutdown(): void {
    if (this.#finSent) return;
    this.#finSent = true;
    // end() can lose bytes already accepted; shutdown() sends FIN after them and keeps reading.
    this.#socket.shutdown();
  }

  #overflow(): void {
    if (this.#state === "closed") return;
    this.#drop();
    this.#options.onOverflow(this.#socket);
  }

  #drop(): void {
    this.#state = "closed";
    this.#forgetChannel();
    this.#pieces = NO_PIECES as Piece[];
    this.#first = 0;
    this.#offset = 0;
    this.#piecesLength = 0;
    clearTimeout(this.#linger);
  }
}
