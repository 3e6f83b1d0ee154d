// The Bun.listen side: who gets in (access list, bans, limits, TLS handshake, password), then bytes → lines → clean text → Input → hub, and each connection's outbox back out.
import type { ServerWebSocket, Socket, TCPSocketListener } from "bun";
import { AccessList } from "./access.ts";
import type { Secret } from "../chat/secret.ts";
import { Login } from "./login.ts";
import { parseIp, type Ip } from "../wire/cidr.ts";
import { parseInput } from "../wire/commands.ts";
import { describeSocketError, ChatError, errorCode, formatAddress } from "../errors.ts";
import { toJson, type Reason } from "../wire/events.ts";
import { Feed } from "./feed.ts";
import { decodeLine, encodeLine, LineReader } from "../wire/framing.ts";
import { Hub } from "../chat/hub.ts";
import type { Member } from "../chat/member.ts";
import { Lobby } from "./lobby.ts";
import { NOTICE, type Words } from "../wire/messages.ts";
import { Metrics, type Disconnect, type Refusal } from "./metrics.ts";
import { Moderation } from "../chat/moderation.ts";
import { Outbox, type OutboxOptions, type Writable } from "./outbox.ts";
import { TokenBucket } from "./ratelimit.ts";
import { cleanText, isBlank } from "../wire/sanitize.ts";
import { HTTP_REPLY, opensHttp, opensTls, TLS_REPLY } from "./sniff.ts";
import { tlsError, type TlsFiles } from "./tls.ts";
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
  /** --allow and --deny; by default everyone. */
  access?: AccessList;
  /** The room password; without one, newcomers are in at once. */
  password?: Secret;
  /** How long a newcomer has for the TLS handshake and the password. */
  loginTimeoutMs: number;
  /** The pause before a wrong password is answered. */
  loginPauseMs?: number;
  /** Operators, mutes and bans. */
  moderation?: Moderation;
  tls?: TlsFiles;
  metrics?: Metrics;
}

export interface Log {
  error(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}

/** How long a server that is shutting down waits for queues to drain. */
const SHUTDOWN_MS = 2000;
const LOGIN_PAUSE_MS = 1000;

/**
 * Where a connection stands. Only "in" is known to the hub: before that (TLS handshake, password),
 * nothing anyone says reaches it and nothing it sends reaches anyone.
 */
type Stage = "handshake" | "password" | "in" | "out";

/** A web page's socket (web.ts's WebPeer): where it came from, and its connection once open. */
type WebSocket = ServerWebSocket<{ ip: string; port: number; member?: Connection }>;

/**
 * A WebSocket as an outbox sees a socket. A frame is taken whole or not at all: sent or queued
 * by Bun (up to its backpressure limit) is all written; dropped is nothing written, and the
 * outbox keeps it until drain, as for a kernel that took nothing. Binary frames: a write may
 * end inside a character, and the page decodes the stream as one.
 */
class WebLink implements Writable {
  constructor(readonly socket: WebSocket) {}

  write(data: Uint8Array, byteOffset = 0, byteLength = data.length - byteOffset): number {
    if (this.socket.readyState !== 1) return -1;
    const sent = this.socket.sendBinary(data.subarray(byteOffset, byteOffset + byteLength));
    return sent === 0 ? 0 : byteLength;
  }

  shutdown(): void {
    this.socket.close(1000);
  }

  terminate(): void {
    this.socket.terminate();
  }
}

/**
 * One connection, over TCP or a WebSocket: the hub sees it as a Member, its outbox as the socket
 * it writes to (counting the bytes taken). Methods, not closures: five functions less per connection.
 */
class Connection implements Member, Writable {
  readonly address: string;
  readonly ip: string;
  readonly parsedIp?: Ip;
  readonly outbox: Outbox;
  readonly reader: LineReader;
  bucket?: TokenBucket;
  warnedSlow = false;
  lastLine = 0; // set when it comes in: --idle counts from then
  stage: Stage = "out";
  /** Counted in the per-IP and total limits. */
  counted = false;
  /** Let in at open: its end is counted in the metrics. */
  accepted = false;
  /** Turned away; over TLS, told why once the handshake is done. */
  refused?: Refusal;
  login?: Login;
  loginTimer?: Timer;
  /** The peer has finished sending (FIN). */
  inputEnded = false;
  /** Its first bytes have arrived. */
  heard = false;
  /** Why it ended, for the metrics; "closed" unless something else ended it first. */
  ended?: Disconnect;

  /** A web page's socket: speaks JSON from the start, and its TLS (if any) is done before it opens. */
  readonly json: boolean;

  constructor(
    readonly socket: Writable,
    peer: { ip: string; port: number; json: boolean },
    turn: Turn,
    options: ServerOptions,
    outboxOptions: OutboxOptions,
    readonly metrics: Metrics,
  ) {
    this.ip = plainIp(peer.ip);
    this.parsedIp = parseIp(this.ip);
    this.address = formatAddress(this.ip, peer.port);
    this.json = peer.json;
    this.heard = peer.json; // nothing to sniff: it spoke HTTP to get here
    this.reader = new LineReader(options.maxLine);
    this.outbox = new Outbox(this, turn, outboxOptions);
  }

  write(data: Uint8Array, byteOffset?: number, byteLength?: number): number {
    const written = this.socket.write(data, byteOffset, byteLength);
    if (written > 0) this.metrics.bytesOut += written;
    return written;
  }

  shutdown(): void {
    this.socket.shutdown();
  }

  terminate(): void {
    this.socket.terminate();
  }

  /** A notice for this connection alone before it is in the room (`* password:`, `* server is full`). */
  notice(text: string): void {
    this.outbox.send(encodeLine(this.json ? toJson({ type: "notice", text }, Date.now()) : `* ${text}`));
  }

  send(bytes: Uint8Array): void {
    this.metrics.deliveries++;
    this.outbox.send(bytes);
  }

  /** The hub's way out: /quit, or an operator's kick or ban. */
  close(reason?: Reason): void {
    this.ended ??= reason === "kicked" || reason === "banned" ? reason : "quit";
    this.outbox.end();
  }
}

/** `::ffff:127.0.0.1` is 127.0.0.1 to a person and to the per-IP limit. */
function plainIp(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

/** Also web.ts's WebSockets: a page's socket, once open, lives as a TCP connection does. */
export class ChatServer {
  readonly hub: Hub;
  readonly metrics: Metrics;
  readonly #options: ServerOptions;
  readonly #log: Log;
  readonly #moderation: Moderation;
  readonly #turn = new Turn();
  /** One for every connection: its outbox is given the connection itself as the socket. */
  readonly #outboxOptions: OutboxOptions;
  readonly #connections = new Set<Connection>();
  readonly #perIp = new Map<string, number>();
  /** Connections counted in the limits: in the room or on their way in. */
  #counted = 0;
  // Let people in only once the room has written out what the last ones caused: a newcomer's
  // welcome waits in memory until the kernel takes it, and in a room of 10 000 it is 170 KB.
  readonly #lobby = new Lobby<Connection>(
    (c) => this.#join(c),
    () => this.#turn.behind,
  );
  #listener?: TCPSocketListener<Connection>;
  #idleTimer?: Timer;
  #stopping?: Promise<void>;
  /** Read once per socket event, not once per line: the clock is not free, and lines of one chunk arrive together. */
  #now = Date.now();

  constructor(options: ServerOptions, log: Log) {
    this.#options = options;
    this.#outboxOptions = { maxQueue: options.maxQueue, onOverflow: (c) => this.#tooSlow(c as Connection) };
    this.#log = log;
    this.metrics = options.metrics ?? new Metrics();
    this.#moderation = options.moderation ?? new Moderation();
    // The hub is only ever given this server's connections.
    const audience = new Feed(this.#turn, (member) => (member as Connection).outbox, (n) => (this.metrics.deliveries += n));
    this.hub = new Hub({
      words: options.words,
      anonymous: options.anonymous,
      history: options.history,
      motd: options.motd,
      moderation: this.#moderation,
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

  /** The metrics text: counters, and gauges read now. */
  renderMetrics(): string {
    let queuedBytes = 0;
    for (const c of this.#connections) queuedBytes += c.outbox.queued;
    return this.metrics.render({
      clients: this.hub.size,
      waiting: this.#counted - this.hub.size,
      queuedBytes,
      historyLines: this.hub.historySize,
    });
  }

  listen(): void {
    const { host, port, tls } = this.#options;
    try {
      this.#listener = Bun.listen<Connection>({
        hostname: host,
        port,
        allowHalfOpen: true, // a client that has finished sending still gets its last lines
        ...(tls ? { tls: { cert: tls.cert, key: tls.key } } : {}),
        socket: {
          binaryType: "uint8array",
          open: (socket) => this.#open(socket),
          // Called only with TLS; a failed handshake (a plain client, a scanner) is closed at once.
          handshake: (socket, ok) => this.#handshake(socket.data, ok),
          data: (socket, chunk) => this.#data(socket.data, chunk),
          drain: (socket) => socket.data?.outbox.drained(),
          end: (socket) => this.#end(socket.data),
          close: (socket) => this.#close(socket.data),
          error: (socket, error) => this.#error(socket.data, error),
        },
      });
    } catch (error) {
      throw new ChatError((tls && tlsError(error, tls)) || describeSocketError(error, { host, port }));
    }
    if (this.#options.idleMs > 0) {
      const every = Math.max(100, Math.min(1000, this.#options.idleMs / 4));
      this.#idleTimer = setInterval(() => this.#dropIdle(), every);
    }
    this.#log.info(`listening on ${formatAddress(this.#listener.hostname, this.#listener.port)}`);
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
    for (const c of this.#connections) {
      c.ended ??= "shutdown";
      c.outbox.end();
    }
    const deadline = Date.now() + SHUTDOWN_MS;
    while (this.#connections.size > 0 && Date.now() < deadline) await Bun.sleep(20);
    for (const c of this.#connections) c.outbox.terminate();
  }

  /** Socket errors (resets and the like) are routine; anything else thrown in a handler is a bug to show. */
  #error(c: Connection | undefined, error: Error): void {
    const code = errorCode(error);
    if (code) this.#log.debug(`${c?.address ?? "?"}: ${code} ${error.message}`);
    else this.#log.error(`${c?.address ?? "?"}: ${error.stack ?? error.message}`);
  }

  #open(socket: Socket<Connection>): void {
    this.#now = Date.now();
    // A peer that reset before this ran has no address any more: nothing to greet, nothing to count.
    if (socket.remoteAddress === undefined || socket.remotePort === undefined) return socket.terminate();
    const peer = { ip: socket.remoteAddress, port: socket.remotePort, json: false };
    const c = new Connection(socket, peer, this.#turn, this.#options, this.#outboxOptions, this.metrics);
    socket.data = c;
    socket.setNoDelay(true); // lines are already batched per turn
    this.#arrive(c);
  }

  /** A web page's socket, past its Origin check: from here on a connection like any other. */
  open(socket: WebSocket): void {
    this.#now = Date.now();
    const c = new Connection(new WebLink(socket), { ...socket.data, json: true }, this.#turn, this.#options, this.#outboxOptions, this.metrics);
    socket.data.member = c;
    this.#arrive(c);
  }

  /** A frame from a page: bytes, as a TCP chunk is. */
  message(socket: WebSocket, data: Uint8Array): void {
    this.#data(socket.data.member, data);
  }

  drain(socket: WebSocket): void {
    socket.data.member?.outbox.drained();
  }

  close(socket: WebSocket): void {
    this.#close(socket.data.member);
  }

  /** Every newcomer, over TCP or a WebSocket: the access list, bans and limits, then the door. */
  #arrive(c: Connection): void {
    this.#connections.add(c);
    const refusal = this.#refusal(c);
    if (refusal) return this.#refuse(c, refusal);
    this.#perIp.set(c.ip, (this.#perIp.get(c.ip) ?? 0) + 1);
    this.#counted++;
    c.counted = true;
    c.accepted = true;
    this.metrics.accepted++;
    if (this.#options.tls || this.#options.password) {
      // Scanners and plain clients on a TLS port send nothing useful: they get this long, then are closed.
      c.loginTimer = setTimeout(() => this.#loginTimeout(c), this.#options.loginTimeoutMs);
    }
    // A web page's TLS is done before its socket opens.
    if (this.#options.tls && !c.json) c.stage = "handshake";
    else this.#admit(c);
  }

  /** Why a newcomer may not come in: the access list first, then bans, then the limits. */
  #refusal(c: Connection): Refusal | undefined {
    if (this.#stopping) return "shutting down";
    if (this.#options.access && !this.#options.access.permits(c.parsedIp)) return "denied";
    if (this.#moderation.bans.find(c.parsedIp, this.#now)) return "banned";
    const { maxClients, maxPerIp } = this.#options;
    if (maxClients > 0 && this.#counted >= maxClients) return "full";
    if (maxPerIp > 0 && (this.#perIp.get(c.ip) ?? 0) >= maxPerIp) return "full";
    return undefined;
  }

  #refuse(c: Connection, refusal: Refusal): void {
    this.#log.debug(`${c.address}: refused (${refusal})`);
    this.metrics.refused[refusal]++;
    c.refused = refusal;
    // --deny and --allow are a firewall's job done here: not a word, not a handshake.
    if (refusal === "denied") return c.outbox.terminate();
    if (!this.#options.tls || c.json) return this.#goodbye(c, refusal);
    c.stage = "handshake"; // the reason goes out once the client can read it
    c.loginTimer = setTimeout(() => c.outbox.terminate(), this.#options.loginTimeoutMs);
  }

  #goodbye(c: Connection, refusal: Refusal): void {
    const notice = { full: NOTICE.serverFull, "shutting down": NOTICE.shuttingDown, banned: NOTICE.banned, denied: "" }[refusal];
    c.notice(notice);
    c.outbox.end();
  }

  #handshake(c: Connection | undefined, ok: boolean): void {
    if (!c || c.stage !== "handshake") return;
    if (ok && c.refused) {
      clearTimeout(c.loginTimer);
      c.stage = "out";
      return this.#goodbye(c, c.refused);
    }
    if (ok) return this.#admit(c);
    this.#log.debug(`${c.address}: TLS handshake failed`);
    c.ended = "login";
    c.outbox.terminate();
  }

  /** Past the handshake: the password, if the room has one. */
  #admit(c: Connection): void {
    const password = this.#options.password;
    if (!password) return this.#enter(c);
    c.stage = "password";
    c.login = new Login(password, this.#options.loginPauseMs ?? LOGIN_PAUSE_MS, {
      ask: () => c.notice(NOTICE.password),
      refuse: (last) => {
        this.#log.debug(`${c.address}: wrong password`);
        c.notice(NOTICE.wrongPassword);
        if (!last) return;
        c.ended = "login";
        c.outbox.end();
      },
      admit: (after) => this.#enter(c, after),
      left: () => this.#leaveNow(c),
    });
    c.login.start();
  }

  /**
   * Into the room. Without a password a newcomer waits its turn in the lobby; one that answered
   * the password has spoken, so it comes in at once, like one that speaks in the lobby, and then
   * `after`, the lines that came behind its answer, are said.
   */
  #enter(c: Connection, after?: string[]): void {
    clearTimeout(c.loginTimer);
    c.login = undefined;
    // A ban given while this one was typing its password counts too.
    const now = Date.now();
    if (this.#moderation.bans.find(c.parsedIp, now)) {
      c.ended = "banned";
      return this.#goodbye(c, "banned");
    }
    c.stage = "in";
    c.lastLine = now;
    if (this.#options.rate > 0) c.bucket = new TokenBucket(this.#options.rate, this.#options.burst, now);
    if (!after) return this.#lobby.add(c);
    this.#join(c);
    for (const line of after) this.#said(c, line);
    if (c.inputEnded) this.#leaveNow(c);
  }

  /** Out of the lobby and into the room. */
  #join(c: Connection): void {
    this.#now = Date.now();
    const name = this.hub.join(c);
    this.#log.debug(`${c.address}: joined as ${name}`);
  }

  #loginTimeout(c: Connection): void {
    if (c.stage !== "handshake" && c.stage !== "password") return;
    this.#log.debug(`${c.address}: did not log in in time`);
    c.ended = "login";
    c.login?.cancel();
    c.outbox.end();
  }

  #data(c: Connection | undefined, chunk: Uint8Array): void {
    if (!c || (c.stage !== "in" && c.stage !== "password") || !c.outbox.open) return;
    this.#now = Date.now();
    if (!c.heard) {
      c.heard = true;
      if (!this.#options.tls && opensTls(chunk)) return this.#wrongProtocol(c, "TLS", TLS_REPLY);
      if (opensHttp(chunk)) return this.#wrongProtocol(c, "HTTP", HTTP_REPLY);
    }
    if (c.stage === "in") this.#lobby.letIn(c);
    c.reader.push(chunk, (line) => this.#line(c, line), () => this.#tooLong(c));
  }

  #line(c: Connection, bytes: Uint8Array): void {
    if (!c.outbox.open) return; // /quit or an overflow earlier in this chunk
    if (c.stage === "password") return c.login?.answer(decodeLine(bytes));
    this.#said(c, decodeLine(bytes));
  }

  /** A line said in the room, as received: cleaned, counted, rate-limited, then to the hub. */
  #said(c: Connection, received: string): void {
    if (!c.outbox.open) return;
    const text = cleanText(received);
    if (isBlank(text)) return;
    this.metrics.linesIn++;
    c.lastLine = this.#now;
    if (c.bucket && !c.bucket.take(c.lastLine)) {
      if (!c.warnedSlow) this.hub.tell(c, NOTICE.slowDown);
      c.warnedSlow = true;
      return;
    }
    c.warnedSlow = false;
    this.hub.handle(c, parseInput(text));
  }

  /** A TLS client on a plain port, or a web client: what it sends is not chat. Told so in plain text, and closed; if already in, it leaves. */
  #wrongProtocol(c: Connection, protocol: string, reply: Uint8Array): void {
    this.#log.debug(`${c.address}: speaks ${protocol}; closed`);
    c.ended = "login";
    this.#leave(c); // unannounced if it was still in the lobby
    c.outbox.send(reply);
    c.outbox.end();
  }

  #tooLong(c: Connection): void {
    if (c.stage === "in") this.hub.tell(c, NOTICE.lineTooLong);
  }

  /**
   * The peer has finished sending: its last line counts (a line, or an answer to the password),
   * then it leaves, and gets what was queued for it before the close. Answers still waiting out
   * a wrong one's pause are judged first: the login ends the stay.
   */
  #end(c: Connection | undefined): void {
    if (!c) return;
    this.#now = Date.now();
    c.inputEnded = true;
    if (c.stage === "in") this.#lobby.letIn(c);
    if (c.stage === "in" || c.stage === "password") c.reader.finish((line) => this.#line(c, line));
    if (c.stage === "password" && c.login) return c.login.end();
    this.#leaveNow(c);
  }

  /** Leaves, and gets what was queued for it before the close. */
  #leaveNow(c: Connection, reason?: "idle"): void {
    this.#leave(c, reason);
    c.outbox.end();
  }

  #close(c: Connection | undefined): void {
    if (!c || !this.#connections.delete(c)) return;
    this.#now = Date.now();
    this.#leave(c);
    c.outbox.closed();
    if (c.accepted) this.metrics.disconnects[c.ended ?? "closed"]++;
  }

  #leave(c: Connection, reason?: "idle" | "too slow"): void {
    clearTimeout(c.loginTimer);
    c.login?.cancel();
    if (reason) c.ended ??= reason;
    const wasIn = c.stage === "in";
    c.stage = "out";
    if (c.counted) {
      c.counted = false;
      this.#counted--;
      const left = (this.#perIp.get(c.ip) ?? 1) - 1;
      if (left > 0) this.#perIp.set(c.ip, left);
      else this.#perIp.delete(c.ip);
    }
    if (!wasIn) return;
    this.#now = Date.now(); // also when a timer, not a socket, ends the stay
    // One that leaves before the lobby let it in was never announced: it leaves without a word.
    if (this.#lobby.remove(c)) return;
    this.hub.leave(c, reason);
    this.#log.debug(`${c.address}: left${reason ? ` (${reason})` : ""}`);
  }

  #tooSlow(c: Connection): void {
    // Not in the middle of the broadcast that overflowed it: the others get that line first.
    queueMicrotask(() => {
      this.#leave(c, "too slow");
      c.terminate();
    });
  }

  #dropIdle(): void {
    const before = Date.now() - this.#options.idleMs;
    for (const c of this.#connections) {
      if (c.stage !== "in" || c.lastLine > before) continue;
      this.#leaveNow(c, "idle");
    }
  }
}
