// The Bun.listen side: bytes → lines → clean text → Input → hub, and each connection's outbox back out.
import type { Socket, TCPSocketListener } from "bun";
import { parseInput } from "./commands.ts";
import { describeSocketError, ChatError, formatHost } from "./errors.ts";
import { Feed } from "./feed.ts";
import { decodeLine, encodeLine, LineReader } from "./framing.ts";
import { Hub, type Member } from "./hub.ts";
import { Lobby } from "./lobby.ts";
import { NOTICE, type Words } from "./messages.ts";
import { Outbox } from "./outbox.ts";
import { TokenBucket } from "./ratelimit.ts";
import { cleanText, isBlank } from "./sanitize.ts";
import { Turn } from "./turn.ts";

export interface ServerOptions {
  host: string;
  port: number;
  words: Words;
  anonymous: boolean;
  maxLine: number;
  maxQueue: number;
  /** Lines a second per client; 0 = no flood control. */
  rate: number;
  burst: number;
  /** 0 = no limit. */
  maxClients: number;
  maxPerIp: number;
  /** Milliseconds of silence before a client is dropped; 0 = never. */
  idleMs: number;
  history: number;
  motd: string[];
}

export interface Log {
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}

/** How long a server that is shutting down waits for queues to drain. */
const SHUTDOWN_MS = 2000;
/** How long a refused connection may take to read its `* server is full`. */
const REFUSE_LINGER_MS = 1000;

/** One TCP connection: the hub sees it as a Member. */
class Connection implements Member {
  readonly address: string;
  readonly ip: string;
  readonly outbox: Outbox;
  readonly reader: LineReader;
  bucket?: TokenBucket;
  warnedSlow = false;
  lastLine = Date.now();
  joined = false;

  constructor(
    readonly socket: Socket<Connection>,
    turn: Turn,
    options: ServerOptions,
    onOverflow: (c: Connection) => void,
  ) {
    this.ip = plainIp(socket.remoteAddress);
    this.address = `${formatHost(this.ip)}:${socket.remotePort}`;
    this.reader = new LineReader(options.maxLine);
    this.outbox = new Outbox(socket, turn, { maxQueue: options.maxQueue, onOverflow: () => onOverflow(this) });
  }

  send(bytes: Uint8Array): void {
    this.outbox.send(bytes);
  }

  close(): void {
    this.outbox.end();
  }
}

/** `::ffff:127.0.0.1` is 127.0.0.1 to a person and to the per-IP limit. */
function plainIp(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

export class ChatServer {
  readonly hub: Hub;
  readonly #options: ServerOptions;
  readonly #log: Log;
  readonly #turn = new Turn();
  readonly #connections = new Set<Connection>();
  readonly #perIp = new Map<string, number>();
  // Let people in only once the room has written out what the last ones caused: a newcomer's
  // welcome waits in memory until the kernel takes it, and in a room of 10 000 it is 170 KB.
  readonly #lobby = new Lobby<Connection>(
    (c) => this.#enter(c),
    () => this.#turn.behind,
  );
  #listener?: TCPSocketListener<Connection>;
  #idleTimer?: Timer;
  #stopping?: Promise<void>;
  /** Read once per socket event, not once per line: the clock is not free, and lines of one chunk arrive together. */
  #now = Date.now();

  constructor(options: ServerOptions, log: Log) {
    this.#options = options;
    this.#log = log;
    // The hub is only ever given this server's connections.
    const audience = new Feed(this.#turn, (member) => (member as Connection).outbox);
    this.hub = new Hub({
      words: options.words,
      anonymous: options.anonymous,
      history: options.history,
      motd: options.motd,
      audience,
      now: () => this.#now,
    });
  }

  /** The port really listened on (useful with port 0). */
  get port(): number {
    return this.#listener?.port ?? this.#options.port;
  }

  get connections(): number {
    return this.#connections.size;
  }

  listen(): void {
    const { host, port } = this.#options;
    try {
      this.#listener = Bun.listen<Connection>({
        hostname: host,
        port,
        allowHalfOpen: true, // a client that has finished sending still gets its last lines
        socket: {
          binaryType: "uint8array",
          open: (socket) => this.#open(socket),
          data: (socket, chunk) => this.#data(socket.data, chunk),
          drain: (socket) => socket.data?.outbox.drained(),
          end: (socket) => this.#end(socket.data),
          close: (socket) => this.#close(socket.data),
          error: (socket, error) => this.#log.debug(`${socket.data?.address ?? "?"}: ${error.message}`),
        },
      });
    } catch (error) {
      throw new ChatError(describeSocketError(error, { host, port }));
    }
    if (this.#options.idleMs > 0) {
      const every = Math.max(100, Math.min(1000, this.#options.idleMs / 4));
      this.#idleTimer = setInterval(() => this.#dropIdle(), every);
    }
    this.#log.info(`listening on ${formatHost(this.#listener.hostname)}:${this.#listener.port}`);
  }

  /** Tells everyone, flushes for at most 2 s, and closes. Resolves when every connection is gone. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    this.#listener?.stop(false);
    clearInterval(this.#idleTimer);
    this.#lobby.clear();
    this.#now = Date.now();
    this.hub.announce(NOTICE.shuttingDown);
    for (const c of this.#connections) c.outbox.end();
    const deadline = Date.now() + SHUTDOWN_MS;
    while (this.#connections.size > 0 && Date.now() < deadline) await Bun.sleep(20);
    for (const c of this.#connections) c.outbox.terminate();
  }

  #open(socket: Socket<Connection>): void {
    this.#now = Date.now();
    const c = new Connection(socket, this.#turn, this.#options, (slow) => this.#tooSlow(slow));
    socket.data = c;
    socket.setNoDelay(true); // lines are already batched per turn
    this.#connections.add(c);
    const { maxClients, maxPerIp } = this.#options;
    const fromIp = this.#perIp.get(c.ip) ?? 0;
    if (this.#stopping || (maxClients > 0 && this.hub.size + this.#lobby.size >= maxClients) || (maxPerIp > 0 && fromIp >= maxPerIp)) {
      this.#log.debug(`${c.address}: refused, server is full`);
      c.outbox.send(encodeLine(`* ${this.#stopping ? NOTICE.shuttingDown : NOTICE.serverFull}`));
      c.outbox.end();
      return;
    }
    this.#perIp.set(c.ip, fromIp + 1);
    c.joined = true;
    if (this.#options.rate > 0) c.bucket = new TokenBucket(this.#options.rate, this.#options.burst, Date.now());
    this.#lobby.add(c);
  }

  #enter(c: Connection): void {
    this.#now = Date.now();
    const name = this.hub.join(c);
    this.#log.debug(`${c.address}: joined as ${name}`);
  }

  #data(c: Connection | undefined, chunk: Uint8Array): void {
    if (!c?.joined || !c.outbox.open) return;
    this.#now = Date.now();
    this.#lobby.letIn(c);
    c.reader.push(chunk, (line) => this.#line(c, line), () => this.#tooLong(c));
  }

  #line(c: Connection, bytes: Uint8Array): void {
    if (!c.outbox.open) return; // /quit or an overflow earlier in this chunk
    const text = cleanText(decodeLine(bytes));
    if (isBlank(text)) return;
    c.lastLine = this.#now;
    if (c.bucket && !c.bucket.take(c.lastLine)) {
      if (!c.warnedSlow) this.hub.tell(c, NOTICE.slowDown);
      c.warnedSlow = true;
      return;
    }
    c.warnedSlow = false;
    this.hub.handle(c, parseInput(text));
  }

  #tooLong(c: Connection): void {
    this.hub.tell(c, NOTICE.lineTooLong);
  }

  /** The peer has finished sending: it leaves, and gets what was queued for it before the close. */
  #end(c: Connection | undefined): void {
    if (!c) return;
    this.#now = Date.now();
    if (c.joined) this.#lobby.letIn(c);
    c.reader.finish((line) => this.#line(c, line));
    this.#leave(c);
    c.outbox.end();
  }

  #close(c: Connection | undefined): void {
    if (!c || !this.#connections.delete(c)) return;
    this.#now = Date.now();
    this.#leave(c);
    c.outbox.closed();
  }

  #leave(c: Connection, reason?: "idle" | "too slow"): void {
    if (!c.joined) return;
    this.#now = Date.now(); // also when a timer, not a socket, ends the stay
    this.#lobby.letIn(c); // its arrival is announced before its departure, as if it had been let in already
    c.joined = false;
    const left = (this.#perIp.get(c.ip) ?? 1) - 1;
    if (left > 0) this.#perIp.set(c.ip, left);
    else this.#perIp.delete(c.ip);
    this.hub.leave(c, reason);
    this.#log.debug(`${c.address}: left${reason ? ` (${reason})` : ""}`);
  }

  #tooSlow(c: Connection): void {
    // Not in the middle of the broadcast that overflowed it: the others get that line first.
    queueMicrotask(() => {
      this.#leave(c, "too slow");
      c.socket.terminate();
    });
  }

  #dropIdle(): void {
    const before = Date.now() - this.#options.idleMs;
    for (const c of this.#connections) {
      if (!c.joined || c.lastLine > before) continue;
      this.#leave(c, "idle");
      c.outbox.end();
    }
  }
}
