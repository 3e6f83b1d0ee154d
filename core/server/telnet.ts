// telnet's commands inside the byte stream (IAC …): taken out before the text is read, and its interrupt seen.

/** "Interpret as command": every telnet command starts with this byte, which UTF-8 text never holds. */
export const IAC = 0xff;
/** The lowest command byte (EOF); after IAC anything lower is not telnet (0xFF in bad UTF-8), and stays text. */
const FIRST_COMMAND = 0xec;
const SE = 0xf0; // end of a subnegotiation
const IP = 0xf4; // interrupt process: what telnet sends for Ctrl-C
const SB = 0xfa; // start of a subnegotiation
const WILL = 0xfb;
const DONT = 0xfe;

const TEXT = 0;
const COMMAND = 1; // after IAC
const OPTION = 2; // after IAC WILL/WONT/DO/DONT: one option byte follows
const SUB = 3; // inside IAC SB … IAC SE
const SUB_COMMAND = 4; // after IAC inside a subnegotiation

/**
 * One connection's telnet filter. Negotiation (WILL, WONT, DO, DONT and their option), the
 * subnegotiations (SB … SE) and the two-byte commands are dropped: the server negotiates
 * nothing, and a client that gets no answer keeps its defaults. IAC IAC, telnet's escaped 0xFF,
 * is no UTF-8 either, so it goes too. A 0xFF followed by a byte that no command starts with is
 * not telnet but bad UTF-8, and is left for the decoder. A command cut between two chunks is
 * finished in the next.
 */
export class Telnet {
  #state = TEXT;
  /** The peer sent IAC IP (Ctrl-C in telnet): what came after it was not kept. */
  interrupted = false;

  /** chunk without telnet's commands; the chunk itself when it holds none. */
  strip(chunk: Uint8Array): Uint8Array {
    if (this.#state === TEXT && !chunk.includes(IAC)) return chunk;
    const out = new Uint8Array(chunk.length + 1); // + the IAC of a chunk before, if it was not telnet
    let n = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      switch (this.#state) {
        case TEXT:
          if (byte === IAC) this.#state = COMMAND;
          else out[n++] = byte;
          break;
        case COMMAND:
          if (byte < FIRST_COMMAND) {
            out[n++] = IAC;
            out[n++] = byte;
            this.#state = TEXT;
            break;
          }
          if (byte === IP) {
            this.interrupted = true;
            this.#state = TEXT;
            return out.subarray(0, n);
          }
          this.#state = byte === SB ? SUB : byte >= WILL && byte <= DONT ? OPTION : TEXT;
          break;
        case OPTION:
          this.#state = TEXT;
          break;
        case SUB:
          if (byte === IAC) this.#state = SUB_COMMAND;
          break;
        case SUB_COMMAND:
          this.#state = byte === SE ? TEXT : SUB;
          break;
      }
    }
    return out.subarray(0, n);
  }
}
