// The client's side of a room password: read the server's first line, answer `* password:` once, and recognise a refusal.

const LF = 0x0a;
const PROMPT = "* password:";
const WRONG = "* wrong password";
/** A first line longer than this is not a prompt: stop looking. */
const MAX_LOOK = 4096;

export type PromptOutcome =
  /** In the room (or a server that asked nothing): `rest` holds the bytes not consumed, to be read as usual. */
  | { kind: "in"; rest: Uint8Array }
  /** The password was refused. */
  | { kind: "wrong" }
  /** The server asked for a password and there is none to give. */
  | { kind: "needed" }
  /** The server answered in TLS records: it wants --tls. */
  | { kind: "tls" };

export class PasswordPrompt {
  readonly #password?: string;
  readonly #answer: (line: string) => void;
  #buffer: Uint8Array = new Uint8Array(0);
  #answered = false;
  readonly #decoder = new TextDecoder();

  /** answer sends a line to the server. */
  constructor(password: string | undefined, answer: (line: string) => void) {
    this.#password = password;
    this.#answer = answer;
  }

  /** What came of a first line not finished yet. */
  get held(): Uint8Array {
    return this.#buffer;
  }

  /** Bytes from the server; undefined while the outcome is not known yet. */
  push(bytes: Uint8Array): PromptOutcome | undefined {
    // Copied only to join a line cut between chunks; a chunk kept until its line ends is safe: Bun gives each its own buffer.
    let data = bytes;
    if (this.#buffer.length > 0) {
      data = new Uint8Array(this.#buffer.length + bytes.length);
      data.set(this.#buffer);
      data.set(bytes, this.#buffer.length);
    }
    // A TLS alert or handshake record (content type 21 or 22, version 3.x) is not a chat line.
    if (!this.#answered && (data[0] === 0x15 || data[0] === 0x16) && data[1] === 0x03) return { kind: "tls" };
    for (;;) {
      const end = data.indexOf(LF);
      if (end < 0) {
        if (data.length > MAX_LOOK) return { kind: "in", rest: data };
        this.#buffer = data;
        return undefined;
      }
      const line = this.#decoder.decode(data.subarray(0, end)).replace(/\r$/, "");
      if (!this.#answered && line === PROMPT) {
        if (this.#password === undefined) return { kind: "needed" };
        this.#answered = true;
        this.#answer(this.#password);
        data = data.subarray(end + 1);
        continue;
      }
      if (this.#answered && line === WRONG) return { kind: "wrong" };
      return { kind: "in", rest: data };
    }
  }
}
