// Being in a room: connecting, the opening lines, the password, JSON mode or a server that is not chat, and leaving.
import { parseInput, type Input } from "../wire/commands.ts";
import { ChatError, formatAddress } from "../errors.ts";
import { encodeLine, TextLineReader } from "../wire/framing.ts";
import { Link } from "./link.ts";
import { countLines, Pacer } from "./pacer.ts";
import { PasswordPrompt } from "./prompt.ts";
import { cleanText, nameProblem } from "../wire/sanitize.ts";
import { Session, type Timed } from "./session.ts";
import { Throttle } from "./throttle.ts";
import type { TlsTrust } from "./tls.ts";

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
  /** The room to join on arrival, without its `#`. */
  room?: string;
}

export interface Room {
  link: Link;
  /** Resolves when the server closes or the connection breaks. */
  serverClosed: Promise<Error | undefined>;
  /** Keeps piped input from running too far ahead of the room's echo. */
  pacer: Pacer;
  /** Keeps what we send within the server's flood limit. */
  throttle: Throttle;
  /** What the server told us in JSON mode; undefined with --raw. */
  session?: Session;
  /** Says we are done (FIN), waits a little for the server to close, then closes. */
  leave(): Promise<void>;
  /** What to tell the user when the server closed first: why it would not let us in, if it said. */
  lostReason(): string;
}

/** Where a room's lines go: bytes untouched (--raw), or events from JSON mode, and bytes untouched again from a server that is not chat. */
export type Receive =
  | { raw: true; onBytes(bytes: Uint8Array): void }
  | {
      raw: false;
      onEvent(event: Timed, json: string, session: Session): void;
      onChunkEnd?(): void;
      /** The server does not speak chat's JSON mode: everything it sent, from its first byte on, and all it sends from now. */
      onPlain(bytes: Uint8Array): void;
    };

/** How long to wait for the server to answer the name claim before sending input anyway. */
const CLAIM_WAIT_MS = 3000;
/** How long a server has to answer `/mode json` as chat does before its lines are printed as they come. */
const PROBE_MS = 1500;
/** Past this many bytes with no JSON welcome, the server is not chat, whatever the time. */
const MAX_PROBE = 1 << 20;
/** How long to wait for the server to close after we said we are done. */
const GOODBYE_MS = 2000;
/**
 * Connects, switches to JSON mode and claims the name; resolves once the name is settled.
 * With `raw`, bytes go to onBytes untouched and the name is simply sent as /nick. A server that
 * does not answer `/mode json` as chat does gets its bytes passed to onPlain, none left out.
 */
export async function joinRoom(options: RoomOptions, receive: Receive): Promise<Room> {
  let closed!: (error?: Error) => void;
  const serverClosed = new Promise<Error | undefined>((resolve) => (closed = resolve));
  let link: Link | undefined;
  const send = (...lines: string[]) => link?.write(encodeLine(lines.join("\n")));
  const throttle = new Throttle();
  const session = receive.raw
    ? undefined
    : new Session(
        usableName(options),
        (line) => {
          throttle.take(1);
          return send(line);
        },
        {
          event: (event, json) => receive.onEvent(event, json, session!),
          notice: options.warn,
        },
      );
  const reader = new TextLineReader(1 << 24);
  const pacer = new Pacer();
  // Until the JSON welcome comes, the server's bytes are kept: from chat they are its plain welcome, said again in JSON;
  // from any other server they are its first lines, printed untouched once it is clear that no JSON is coming.
  let probe: Uint8Array[] | undefined = receive.raw ? undefined : [];
  let probed = 0;
  let probeTimer: Timer | undefined;
  let plain = false;
  let fellBack!: () => void;
  const fallenBack = new Promise<void>((resolve) => (fellBack = resolve));
  const fallBack = () => {
    if (!probe || receive.raw) return;
    clearTimeout(probeTimer);
    const kept = probe;
    probe = undefined;
    plain = true;
    for (const bytes of kept) receive.onPlain(bytes);
    // A first line the server has not finished (`login: `) is still with the password prompt: it is the server's too.
    if (prompt) {
      const held = prompt.held;
      prompt = undefined;
      promptDone();
      if (held.length > 0) receive.onPlain(held);
    }
    fellBack();
  };
  // The opening lines go in one write, so that the server applies them all before it announces us.
  let opened = false;
  const opening = () => {
    opened = true;
    const lines = session ? session.opening() : options.name ? [`/nick ${options.name}`] : [];
    if (options.room !== undefined) lines.push(`/join #${options.room}`);
    throttle.take(lines.length);
    if (session) probeTimer = setTimeout(fallBack, PROBE_MS);
    return lines;
  };
  const deliver = (bytes: Uint8Array) => {
    if (receive.raw || plain) {
      pacer.back(countLines(bytes));
      return receive.raw ? receive.onBytes(bytes) : receive.onPlain(bytes);
    }
    if (probe) {
      probe.push(bytes);
      probed += bytes.length;
    }
    pacer.back(reader.push(bytes, (line) => session!.line(line)));
    if (probe && session!.joined) {
      probe = undefined;
      clearTimeout(probeTimer);
      const limits = session!.limits;
      if (limits) throttle.setLimits(limits.rate, limits.burst);
    } else if (probed > MAX_PROBE) fallBack();
    receive.onChunkEnd?.();
  };
  // The password goes out only when asked for, so it never lands in a room that has none, with the opening lines
  // behind it. Without a password to give, they go at once, and a room that asks for one refuses us with a reason.
  // In --raw mode without a password, the user answers the prompt themselves, as with nc.
  let prompt =
    receive.raw && options.password === undefined
      ? undefined
      : new PasswordPrompt(options.password, (password) => send(password, ...opening()));
  let refused: string | undefined; // why the server will not let us in, once known
  let promptDone!: () => void;
  const prompted = new Promise<void>((resolve) => (promptDone = resolve));
  const turnedAway = prompted.then(() => (refused ? undefined : new Promise<void>(() => {})));
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
      closed: (error) => {
        // chat turning us away says one `* ` line and closes: that is said on stderr. Anything else a server said is shown.
        if (probe && !(session!.turnedAway !== undefined && probe.reduce((n, bytes) => n + countLines(bytes), 0) <= 1)) fallBack();
        closed(error);
      },
    },
    options.tls,
  );

  const sendOpening = async () => {
    const lines = opening();
    if (lines.length > 0) await send(...lines);
  };
  const turnAway = () => {
    link!.close();
    return new ChatError(refused!);
  };
  if (options.password === undefined) await sendOpening();
  else if (prompt) {
    // A password goes only to a server that asks for it, with the opening lines behind it.
    await Promise.race([prompted, serverClosed, Bun.sleep(CLAIM_WAIT_MS)]);
    if (refused) throw turnAway();
    if (!opened) await sendOpening();
  }
  if (session) await Promise.race([session.settled, fallenBack, turnedAway, serverClosed, Bun.sleep(CLAIM_WAIT_MS)]);
  if (refused) throw turnAway();
  return {
    link,
    serverClosed,
    pacer,
    throttle,
    session,
    async leave() {
      link.finish(); // the server says goodbye to the room for us and closes
      await Promise.race([serverClosed, Bun.sleep(GOODBYE_MS)]);
      link.close();
    },
    lostReason: () => refused ?? session?.turnedAway ?? "connection closed by the server",
  };
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

/** Why a /mode line is not sent: the client reads the server's JSON mode and renders it itself. */
export const KEEPS_MODE = "chat connect keeps its own mode: use chat connect --json or --raw for other views";

/** A line as the server reads it: cleaned, then parsed. */
export function readAsServer(line: string): Input {
  return parseInput(cleanText(line));
}

/** Whether the server takes this line for /quit. */
export function saysQuit(line: string): boolean {
  return readAsServer(line).kind === "quit";
}
