// The Bun.listen side: listening, who gets in (access list, bans, limits), and the wiring of each socket's events to its Connection.
import type { Socket, TCPSocketListener } from "bun";
import { AccessList } from "./access.ts";
import type { Secret } from "../chat/secret.ts";
import { describeSocketError, ChatError, errorCode, formatAddress, reachableHost } from "../errors.ts";
import { Connection, type Venue } from "./connection.ts";
import type { Bus } from "../bus/bus.ts";
import type { ClusterStats, ClusterWatcher } from "../bus/redis/cluster.ts";
import { Feed } from "./feed.ts";
import { Hub } from "../chat/hub.ts";
import { deepenBacklog } from "./backlog.ts";
import { Lobby } from "./lobby.ts";
import type { Log } from "./log.ts";
import type { Words } from "../wire/messages.ts";
import { Metrics, type Refusal } from "./metrics.ts";
import { Moderation } from "../chat/moderation.ts";
import { tlsError, type TlsFiles } from "./tls.ts";
import { Turn } from "./turn.ts";
import { WebLink, type WebSocket } from "./web.ts";

export type { Log } from "./log.ts";

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
  /** Rooms kept at most; 0 = no limit. */
  maxRooms?: number;
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
  /** How shared changes reach every server; by default this process alone. */
  bus?: Bus;
  /** With --redis: told when Redis goes and comes back, and asked for its figures. */
  cluster?: { watch(watcher: ClusterWatcher): void; stats(): ClusterStats };
}

/** How long a server that is shutting down waits for queues to drain. */
const SHUTDOWN_MS = 2000;
const LOGIN_PAUSE_MS = 1000;
/**
 * How long a newcomer's greeting waits for its first bytes: chat connect sends its name and mode
 * as soon as it is connected, so they come long before this; someone on nc does not notice it.
 */
const GREETING_MS = 100;

/** Also web.ts's WebSockets: a page's socket, once open, lives as a TCP connection does. */
export class ChatServer {
  readonly hub: Hub;
  readonly metrics: Metrics;
  readonly #options: ServerOptions;
  readonly #log: Log;
  readonly #moderation: Moderation;
  readonly #turn = new Turn();
  readonly #connections = new Set<Connection>();
  readonly #perIp = new Map<string, number>();
  /** Connections counted in the limits: in the room or on their way in. */
  #counted = 0;
  // Let people in once the last ones' welcomes are out: greeting is what a newcomer waits for.
  // The room's news of them (has arrived) is shared and written as the room catches up, so
  // letting more in only makes those writes longer, not more numerous.
  readonly #lobby = new Lobby<Connection>(
    (c) => c.letIn(),
    () => this.#turn.behind,
    GREETING_MS,
    () => this.#turn.holdForCrowd(),
  );
  /** What every connection's life needs of this server. */
  readonly #venue: Venue;
  #listener?: TCPSocketListener<Connection>;
  #idleTimer?: Timer;
  #stopping?: Promise<void>;
  /** Read once per socket event, not once per line: the clock is not free, and lines of one chunk arrive together. */
  #now = Date.now();

  constructor(options: ServerOptions, log: Log) {
    this.#options = options;
    this.#log = log;
    this.metrics = options.metrics ?? new Metrics();
    this.#moderation = options.moderation ?? new Moderation();
    // The hub is only ever given this server's connections.
    const audience = () => new Feed(this.#turn, (member) => (member as Connection).outbox, (n) => (this.metrics.deliveries += n));
    this.hub = new Hub({
      words: options.words,
      anonymous: options.anonymous,
      history: options.history,
      ...(options.maxRooms === undefined ? {} : { maxRooms: options.maxRooms }),
      motd: options.motd,
      moderation: this.#moderation,
      audience,
      bus: options.bus,
      now: () => this.#now,
      limits: { rate: options.rate, burst: options.burst, maxLine: options.maxLine },
    });
    // Everyone here is told when the cluster goes and comes back; what they say meanwhile is held.
    options.cluster?.watch({
      down: () => this.hub.announce(options.words.notice.reconnecting),
      up: () => this.hub.announce(options.words.notice.reconnected),
    });
    const server = this;
    this.#venue = {
      hub: this.hub,
      lobby: this.#lobby,
      turn: this.#turn,
      // One for every connection: its outbox is given the connection itself as the socket.
      outbox: { maxQueue: options.maxQueue, onOverflow: (c) => (c as Connection).tooSlow() },
      metrics: this.metrics,
      log,
      bans: this.#moderation.bans,
      says: options.words.notice,
      rules: {
        tls: options.tls !== undefined,
        password: options.password,
        maxLine: options.maxLine,
        rate: options.rate,
        burst: options.burst,
        loginTimeoutMs: options.loginTimeoutMs,
        loginPauseMs: options.loginPauseMs ?? LOGIN_PAUSE_MS,
      },
      get now() {
        return server.#now;
      },
      tick: () => (this.#now = Date.now()),
      release: (c) => this.#release(c),
    };
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
      rooms: this.hub.rooms(),
      ...(this.#options.cluster ? { cluster: { ...this.#options.cluster.stats(), waiting: this.hub.waiting } } : {}),
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
          // Called only with TLS.
          handshake: (socket, ok) => socket.data?.handshake(ok),
          data: (socket, chunk) => socket.data?.data(chunk),
          drain: (socket) => socket.data?.outbox.drained(),
          end: (socket) => socket.data?.end(),
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
    const { hostname, port: listening } = this.#listener;
    const backlog = deepenBacklog(listening);
    this.#log.debug(backlog ? `accept queue deepened to ${backlog} (the kernel caps it at net.core.somaxconn)` : "accept queue left as Bun made it");
    this.#log.info(`listening on ${formatAddress(hostname, listening)}`);
    // Every address of this machine: one that works from here.
    const reach = reachableHost(hostname);
    const [flag, nc] = tls ? ["--tls ", "ncat --ssl"] : ["", "nc"];
    this.#log.info(`join with: chat connect ${flag}${formatAddress(reach, listening)}, or ${nc} ${reach} ${listening}`);
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
    this.hub.announce(this.#options.words.notice.shuttingDown);
    // Every goodbye first, then everyone out: nobody is told of the others leaving.
    for (const c of this.#connections) c.outbox.end();
    for (const c of this.#connections) c.shutDown();
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
    socket.setNoDelay(true); // lines are already batched per turn
    // Tied to its socket before anything can close it.
    const c = new Connection(socket, this.#venue);
    socket.data = c;
    this.#arrive(c);
  }

  // ── A web page's socket (web.ts), past its Origin check: from here on, a connection like any other ──

  open(socket: WebSocket<Connection>): void {
    this.#now = Date.now();
    // Tied to its socket before anything can close it: a WebSocket's close handler may run inside terminate().
    const c = new Connection(new WebLink(socket), this.#venue);
    socket.data.member = c;
    this.#arrive(c);
  }

  /** A frame from a page: bytes, as a TCP chunk is. */
  message(socket: WebSocket<Connection>, data: Uint8Array): void {
    socket.data.member?.data(data);
  }

  drain(socket: WebSocket<Connection>): void {
    socket.data.member?.outbox.drained();
  }

  close(socket: WebSocket<Connection>): void {
    this.#close(socket.data.member);
  }

  /**
   * Every newcomer, over TCP or a WebSocket, already tied to its socket: the access list, bans
   * and limits, then its connection's life. No closure per newcomer: a crowd makes thousands.
   */
  #arrive(c: Connection): void {
    this.#connections.add(c);
    const refusal = this.#refusal(c);
    if (refusal) {
      this.#log.info(`${c.address} refused (${refusal})`);
      this.metrics.refused[refusal]++;
    } else {
      this.#perIp.set(c.ip, (this.#perIp.get(c.ip) ?? 0) + 1);
      this.#counted++;
      this.metrics.accepted++;
    }
    c.open(refusal);
  }

  /** Why a newcomer may not come in: the access list first, then bans, then the limits. */
  #refusal(c: Connection): Refusal | undefined {
    if (this.#stopping) return "shutting down";
    // Without --allow, --deny or bans nobody's address is parsed: a crowd of idle clients keeps none.
    const { access } = this.#options;
    if (access && !access.empty && !access.permits(c.parsedIp)) return "denied";
    if (this.#moderation.bans.size > 0 && this.#moderation.bans.find(c.parsedIp, this.#now)) return "banned";
    const { maxClients, maxPerIp } = this.#options;
    if (maxClients > 0 && this.#counted >= maxClients) return "full";
    if (maxPerIp > 0 && (this.#perIp.get(c.ip) ?? 0) >= maxPerIp) return "full";
    return undefined;
  }

  /** c no longer counts in the limits. */
  #release(c: Connection): void {
    this.#counted--;
    const left = (this.#perIp.get(c.ip) ?? 1) - 1;
    if (left > 0) this.#perIp.set(c.ip, left);
    else this.#perIp.delete(c.ip);
  }

  #close(c: Connection | undefined): void {
    if (!c || !this.#connections.delete(c)) return;
    c.closed();
  }

  #dropIdle(): void {
    const before = Date.now() - this.#options.idleMs;
    for (const c of this.#connections) c.dropIfIdle(before);
  }
}
