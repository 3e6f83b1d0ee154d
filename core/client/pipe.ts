// `chat connect` in a pipe (or with --raw/--json): stdin to the socket, the room to stdout, and the exit code.
import { decodeLine, LineReader } from "../wire/framing.ts";
import { pieces } from "./pacer.ts";
import { renderPlain, wordsFor } from "../wire/messages.ts";
import { joinRoom, saysQuit, type RoomOptions } from "./room.ts";

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

  // Input goes out as it comes, no faster than the server's flood limit and no further ahead of the room's echo than
  // the pacer allows; only /quit is looked for, in lines cut as the server cuts them.
  const pump = (async () => {
    const lines = new LineReader();
    let quit = false;
    let midLine = false;
    const watch = (line: Uint8Array) => {
      if (quitsBytes(line)) quit = true;
    };
    for await (const chunk of options.input) {
      for (const piece of pieces(chunk)) {
        for (let rest = piece; rest.length > 0; ) {
          const part = await throttle.cut(rest, midLine);
          await pacer.room();
          if (!(await link.write(part))) return "lost";
          pacer.sent(part);
          midLine = part[part.length - 1] !== LF;
          rest = rest.subarray(part.length);
        }
      }
      lines.push(chunk, watch, () => {}); // an overlong line is dropped by the server too
      if (quit) return "quit";
    }
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

/** saysQuit for a line of bytes; most lines start with a printable character other than `/`, and cleaning keeps that first. */
function quitsBytes(line: Uint8Array): boolean {
  const first = line[0];
  if (first === undefined || (first !== SLASH && first >= 0x20 && first < 0x7f)) return false;
  return saysQuit(decodeLine(line));
}
