// `chat connect` in a pipe (or with --raw/--json): stdin to the socket, the room to stdout, and the exit code.
import { decodeLine, MAX_LINE } from "../wire/framing.ts";
import { pieces } from "./pacer.ts";
import { renderPlain, wordsFor } from "../wire/messages.ts";
import { joinRoom, KEEPS_MODE, readAsServer, type RoomOptions } from "./room.ts";

export type ClientMode = "raw" | "plain" | "json";

export interface Output {
  write(data: string | Uint8Array): void;
  flush(): Promise<void>;
}

export interface ClientOptions extends RoomOptions {
  /** raw: the server's bytes untouched; plain: the plain protocol rendered from JSON mode; json: one event per line. */
  mode: ClientMode;
  input: ReadableStream<Uint8Array>;
  output: Output;
}

const SLASH = 0x2f;
const LF = 0x0a;

/** Runs until input ends (0), the user quits (0) or the connection is lost (1); 1 too if the server dropped lines as too fast. */
export async function runPipe(options: ClientOptions): Promise<number> {
  const { output, mode } = options;
  // What a chunk from the server prints, written at once: one write per chunk, not per line.
  let printed: string[] = [];
  const { link, serverClosed, pacer, throttle, session, leave, lostReason } = await joinRoom(
    options,
    mode === "raw"
      ? { raw: true, onBytes: (bytes) => output.write(bytes) }
      : {
          raw: false,
          onEvent: (event, json, session) => {
            printed.push(mode === "json" ? `${json}\n` : `${renderPlain(event, wordsFor(session.lang)).join("\n")}\n`);
          },
          onChunkEnd: () => {
            if (printed.length === 0) return;
            output.write(printed.length === 1 ? printed[0]! : printed.join(""));
            printed = [];
          },
          onPlain: (bytes) => output.write(bytes),
        },
  );

  // Input goes out a line at a time as it comes, no faster than the server's flood limit and no further ahead of the
  // room's echo than the pacer allows. Only /quit and /mode are looked for.
  const lines = new PipedLines(session?.limits?.maxLine ?? MAX_LINE, mode !== "raw");
  let midLine = false;
  const send = async (bytes: Uint8Array): Promise<boolean> => {
    for (const piece of pieces(bytes)) {
      for (let rest = piece; rest.length > 0; ) {
        const part = await throttle.cut(rest, midLine);
        await pacer.room();
        if (!(await link.write(part))) return false;
        pacer.sent(part);
        midLine = part[part.length - 1] !== LF;
        rest = rest.subarray(part.length);
      }
    }
    return true;
  };
  const pump = (async () => {
    for await (const chunk of options.input) {
      if (!(await send(lines.push(chunk)))) return "lost";
      if (lines.keptMode) {
        lines.keptMode = false;
        options.warn(KEEPS_MODE);
      }
      if (lines.quit) return "quit";
    }
    if (!(await send(lines.end()))) return "lost";
    if (midLine) {
      await throttle.ready(); // the server counts an unfinished last line when we finish
      throttle.take(1);
    }
    return "ended";
  })();
  const first = await Promise.race([pump, serverClosed.then(() => "lost" as const)]);
  if (first === "lost") {
    await output.flush();
    options.warn(lostReason());
    return 1;
  }
  await leave();
  await output.flush();
  if (session?.slowedDown) {
    options.warn("the server dropped lines sent too fast (* slow down)");
    return 1;
  }
  return 0;
}

/**
 * Piped input cut into whole lines (an unfinished one is held back until its end comes), with
 * /quit noticed and /mode taken out: the client reads the server's JSON mode, and /mode plain
 * would leave it printing nothing. Lines are read as the server reads them: a line over maxLine
 * is no command, and goes on unread, to be refused there.
 */
class PipedLines {
  readonly #maxLine: number;
  readonly #keepMode: boolean;
  #held: Uint8Array = new Uint8Array(0);
  /** The line under way is too long to be a command: pass it on up to its end. */
  #overlong = false;
  /** A /quit went out: nothing after it is sent. */
  quit = false;
  /** A /mode line was taken out since this was last cleared. */
  keptMode = false;

  constructor(maxLine: number, keepMode: boolean) {
    this.#maxLine = maxLine;
    this.#keepMode = keepMode;
  }

  /** What of chunk may go now. */
  push(chunk: Uint8Array): Uint8Array {
    const data = this.#held.length > 0 ? Buffer.concat([this.#held, chunk]) : chunk;
    const last = data.lastIndexOf(LF);
    if (last < 0) {
      this.#held = data;
      return this.#spill();
    }
    this.#held = data.subarray(last + 1);
    return this.#lines(data.subarray(0, last + 1));
  }

  /** At the end of input: the unfinished last line, which the server still takes. */
  end(): Uint8Array {
    const rest = this.#held;
    this.#held = new Uint8Array(0);
    if (this.#overlong || rest.length === 0) return rest;
    const kind = this.#kind(rest);
    if (kind === "mode") return new Uint8Array(0);
    if (kind === "quit") this.quit = true;
    return rest;
  }

  /** An unfinished line longer than any command goes on as it comes, so that memory stays bounded. */
  #spill(): Uint8Array {
    if (this.#held.length <= this.#maxLine + 1) return new Uint8Array(0);
    const out = this.#held;
    this.#held = new Uint8Array(0);
    this.#overlong = true;
    return out;
  }

  /** Whole lines: all of them, but for /mode lines and what follows a /quit. */
  #lines(bytes: Uint8Array): Uint8Array {
    const kept: Uint8Array[] = [];
    let from = 0; // the start of what is kept and not yet in kept
    let start = 0;
    for (let end = bytes.indexOf(LF); end >= 0; end = bytes.indexOf(LF, start)) {
      const overlong = this.#overlong;
      this.#overlong = false;
      const kind = overlong ? "say" : this.#kind(bytes.subarray(start, end));
      if (kind === "mode") {
        kept.push(bytes.subarray(from, start));
        from = end + 1;
      } else if (kind === "quit") {
        this.quit = true;
        kept.push(bytes.subarray(from, end + 1));
        from = bytes.length;
        break;
      }
      start = end + 1;
    }
    if (from === 0) return bytes;
    if (from < bytes.length) kept.push(bytes.subarray(from));
    return kept.length === 1 ? kept[0]! : Buffer.concat(kept);
  }

  /** What the server will make of a line; most start with a printable character other than `/`, and cleaning keeps that first. */
  #kind(line: Uint8Array): "quit" | "mode" | "say" {
    const first = line[0];
    if (first === undefined || (first !== SLASH && first >= 0x20 && first < 0x7f)) return "say";
    const length = line[line.length - 1] === 0x0d ? line.length - 1 : line.length;
    if (length > this.#maxLine) return "say";
    const input = readAsServer(decodeLine(line.subarray(0, length)));
    if (input.kind === "quit") return "quit";
    if (input.kind === "mode" && this.#keepMode) {
      this.keptMode = true;
      return "mode";
    }
    return "say";
  }
}

