// `chat connect` in a pipe (or with --raw/--json): stdin to the socket, the room to stdout, and the exit code.
import { encodeLine, TextLineReader } from "./framing.ts";
import { Link } from "./link.ts";
import { countLines, Pacer, pieces } from "./pacer.ts";
import { renderPlain, wordsFor } from "./messages.ts";
import { nameProblem } from "./sanitize.ts";
import { Session } from "./session.ts";

export type ClientMode = "raw" | "plain" | "json";

export interface Output {
  write(data: string | Uint8Array): void;
  flush(): Promise<void>;
}

export interface ClientOptions {
  host: string;
  port: number;
  /** Claimed with /nick on connect. */
  name?: string;
  /** raw: the server's bytes untouched; plain: the plain protocol rendered from JSON mode; json: one event per line. */
  mode: ClientMode;
  input: ReadableStream<Uint8Array>;
  output: Output;
  /** The client's own notices (stderr). */
  warn(message: string): void;
  /** How long to wait for the server to close after our input has ended. */
  graceMs?: number;
}

/** How long to wait for the server to answer the name claim before sending input anyway. */
const CLAIM_WAIT_MS = 3000;
const QUIT = new TextEncoder().encode("/quit");

/** Runs until input ends (0), the user quits (0) or the connection is lost (1). */
export async function runPipe(options: ClientOptions): Promise<number> {
  const { output, mode } = options;
  let closed!: (error?: Error) => void;
  const serverClosed = new Promise<Error | undefined>((resolve) => (closed = resolve));
  let link: Link;

  // What a chunk from the server prints, written at once: one write per chunk, not per line.
  let printed: string[] = [];
  const session =
    mode === "raw"
      ? undefined
      : new Session(usableName(options), (line) => void link.write(encodeLine(line)), {
          event: (event, json) => {
            if (mode === "json") printed.push(json + "\n");
            else printed.push(renderPlain(event, wordsFor(session!.lang)).join("\n") + "\n");
          },
          notice: options.warn,
        });
  const reader = new TextLineReader(1 << 24);
  const pacer = new Pacer();
  link = await Link.open(options.host, options.port, {
    data: (bytes) => {
      if (!session) {
        pacer.back(countLines(bytes));
        return output.write(bytes);
      }
      pacer.back(reader.push(bytes, (line) => session.line(line)));
      if (printed.length === 0) return;
      output.write(printed.length === 1 ? printed[0]! : printed.join(""));
      printed = [];
    },
    closed: (error) => closed(error),
  });

  if (session) {
    session.start();
    await Promise.race([session.settled, serverClosed, Bun.sleep(CLAIM_WAIT_MS)]);
  } else if (options.name) {
    await link.write(encodeLine(`/nick ${options.name}`));
  }

  // Input goes out as it comes, no further ahead of the room's echo than the pacer allows; only /quit is looked for.
  const pump = (async () => {
    let atLineStart = true;
    for await (const chunk of options.input) {
      for (const piece of pieces(chunk)) {
        await pacer.room();
        if (!(await link.write(piece))) return "lost";
        pacer.sent(piece);
      }
      if (saysQuit(chunk, atLineStart)) return "quit";
      atLineStart = chunk[chunk.length - 1] === 0x0a;
    }
    return "ended";
  })();
  const first = await Promise.race([pump, serverClosed.then(() => "lost" as const)]);
  if (first === "lost") {
    await output.flush();
    options.warn("connection closed by the server");
    return 1;
  }
  link.finish();
  await Promise.race([serverClosed, Bun.sleep(options.graceMs ?? 2000)]);
  link.close();
  await output.flush();
  return 0;
}

/** The login name is only a default: if it cannot be a chat name, keep the server's. */
function usableName(options: ClientOptions): string | undefined {
  if (!options.name) return undefined;
  const problem = nameProblem(options.name);
  if (!problem) return options.name;
  options.warn(`cannot use the name "${options.name}": ${problem}`);
  return undefined;
}

/** Whether the chunk holds a line `/quit`. */
function saysQuit(chunk: Uint8Array, atLineStart: boolean): boolean {
  for (let at = indexOf(chunk, QUIT, 0); at >= 0; at = indexOf(chunk, QUIT, at + 1)) {
    const lineStart = at === 0 ? atLineStart : chunk[at - 1] === 0x0a;
    const next = chunk[at + QUIT.length];
    if (lineStart && (next === undefined || next === 0x0a || next === 0x0d || next === 0x20)) return true;
  }
  return false;
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength).indexOf(needle, from);
}
