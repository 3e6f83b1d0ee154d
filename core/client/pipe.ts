// `chat connect` in a pipe (or with --raw/--json): stdin to the socket, the room to stdout, and the exit code.
import { parseInput } from "../wire/commands.ts";
import { ChatError, formatAddress } from "../errors.ts";
import { decodeLine, encodeLine, LineReader, TextLineReader } from "../wire/framing.ts";
import { Link } from "./link.ts";
import { countLines, Pacer, pieces } from "./pacer.ts";
import { renderPlain, wordsFor } from "../wire/messages.ts";
import { PasswordPrompt } from "./prompt.ts";
import { cleanText, nameProblem } from "../wire/sanitize.ts";
import { Session, type Timed } from "./session.ts";
import type { TlsTrust } from "./tls.ts";

export type ClientMode = "raw" | "plain" | "json";

export interface Output {
  write(data: string | Uint8Array): void;
  flush(): Promise<void>;
}

export interface RoomOptions {
  host: string;
  port: number;
  /** Claimed with /nick on connect. */
  name?: string;
  /** The client's own notices (stderr in a pipe). */
  warn(message: string): void;
  /** Connect over TLS, trusting these. */
  tls?: TlsTrust;
  /** The room password, given only when the server asks `* password:`. */
  password?: string;
}

export interface ClientOptions extends RoomOptions {
  /** raw: the server's bytes untouched; plain: the plain protocol rendered from JSON mode; json: one event per line. */
  mode: ClientMode;
  input: ReadableStream<Uint8Array>;
  output: Output;
}

export interface Room {
  link: Link;
  /** Resolves when the server closes or the connection breaks. */
  serverClosed: Promise<Error | undefined>;
  /** Keeps piped input from running too far ahead of the room's echo. */
  pacer: Pacer;
  /** Says we are done (FIN), waits a little for the server to close, then closes. */
  leave(): Promise<void>;
  /** What to tell the user when the server closed first: why it would not let us in, if it said. */
  lostReason(): string;
}

/** How long to wait for the server to answer the name claim before sending input anyway. */
const CLAIM_WAIT_MS = 3000;
/** How long to wait for the server to close after we said we are done. */
const GOODBYE_MS = 2000;
const SLASH = 0x2f;

/**
 * Connects, switches to JSON mode and claims the name; resolves once the name is settled.
 * With `raw`, bytes go to onBytes untouched and the name is simply sent as /nick.
 */
export async function joinRoom(
  options: RoomOptions,
  receive:
    | { raw: true; onBytes(bytes: Uint8Array): void }
    | { raw: false; onEvent(event: Timed, json: string, session: Session): void; onChunkEnd?(): void },
): Promise<Room> {
  let closed!: (error?: Error) => void;
  const serverClosed = new Promise<Error | undefined>((resolve) => (closed = resolve));
  let link: Link | undefined;
  const send = (line: string) => link?.write(encodeLine(line));
  const session = receive.raw
    ? undefined
    : new Session(usableName(options), send, {
        event: (event, json) => receive.onEvent(event, json, session!),
        notice: options.warn,
      });
  const reader = new TextLineReader(1 << 24);
  const pacer = new Pacer();
  const deliver = (bytes: Uint8Array) => {
    if (receive.raw) {
      pacer.back(countLines(bytes));
      return receive.onBytes(bytes);
    }
    pacer.back(reader.push(bytes, (line) => session!.line(line)));
    receive.onChunkEnd?.();
  };
  // The password goes out only when asked for, so it never lands in a room that has none.
  // In --raw mode without a password, the user answers the prompt themselves, as with nc.
  let prompt =
    receive.raw && options.password === undefined
      ? undefined
      : new PasswordPrompt(options.password, send);
  let refused: string | undefined; // why the server will not let us in, once known
  let promptDone!: () => void;
  const prompted = new Promise<void>((resolve) => (promptDone = resolve));
  link = await Link.open(
    options.host,
    options.port,
    {
      data: (bytes) => {
        if (!prompt) return deliver(bytes);
        const outcome = prompt.push(bytes);
        if (!outcome) return;
        prompt = undefined;
        if (outcome.kind === "in") deliver(outcome.rest);
        else refused = refusal(outcome.kind, options);
        promptDone();
      },
      closed: (error) => closed(error),
    },
    options.tls,
  );

  if (prompt) {
    await Promise.race([prompted, serverClosed, Bun.sleep(CLAIM_WAIT_MS)]);
    if (refused) {
      link.close();
      throw new ChatError(refused);
    }
  }

  if (session) {
    session.start();
    await Promise.race([session.settled, serverClosed, Bun.sleep(CLAIM_WAIT_MS)]);
  } else if (options.name) {
    await send(`/nick ${options.name}`);
  }
  return {
    link,
    serverClosed,
    pacer,
    async leave() {
      link.finish(); // the server says goodbye to the room for us and closes
      await Promise.race([serverClosed, Bun.sleep(GOODBYE_MS)]);
      link.close();
    },
    lostReason: () => refused ?? session?.turnedAway ?? "connection closed by the server",
  };
}

/** Runs until input ends (0), the user quits (0) or the connection is lost (1). */
export async function runPipe(options: ClientOptions): Promise<number> {
  const { output, mode } = options;
  // What a chunk from the server prints, written at once: one write per chunk, not per line.
  let printed: string[] = [];
  const { link, serverClosed, pacer, leave, lostReason } = await joinRoom(
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
        },
  );

  // Input goes out as it comes, no further ahead of the room's echo than the pacer allows; only /quit is looked for,
  // in lines cut as the server cuts them.
  const pump = (async () => {
    const lines = new LineReader();
    let quit = false;
    const watch = (line: Uint8Array) => {
      if (quitsBytes(line)) quit = true;
    };
    for await (const chunk of options.input) {
      for (const piece of pieces(chunk)) {
        await pacer.room();
        if (!(await link.write(piece))) return "lost";
        pacer.sent(piece);
      }
      lines.push(chunk, watch, () => {}); // an overlong line is dropped by the server too
      if (quit) return "quit";
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
  return 0;
}

function refusal(kind: "wrong" | "needed" | "tls", options: RoomOptions): string {
  if (kind === "wrong") return "wrong password";
  if (kind === "needed") return "this room needs a password: set CHAT_PASSWORD or use --password-file";
  return `the server at ${formatAddress(options.host, options.port)} speaks TLS: use --tls`;
}

/** The login name is only a default: if it cannot be a chat name, keep the server's. */
function usableName(options: RoomOptions): string | undefined {
  if (!options.name) return undefined;
  const problem = nameProblem(options.name);
  if (!problem) return options.name;
  options.warn(`cannot use the name "${options.name}": ${problem}`);
  return undefined;
}

/** Whether the server takes this line for /quit: it cleans the line, then parses it. */
export function saysQuit(line: string): boolean {
  return parseInput(cleanText(line)).kind === "quit";
}

/** saysQuit for a line of bytes; most lines start with a printable character other than `/`, and cleaning keeps that first. */
function quitsBytes(line: Uint8Array): boolean {
  const first = line[0];
  if (first === undefined || (first !== SLASH && first >= 0x20 && first < 0x7f)) return false;
  return saysQuit(decodeLine(line));
}
