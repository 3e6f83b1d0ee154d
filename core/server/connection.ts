// One connection's life, from the kernel's accept to the close: its stages, what each holds, the events each accepts, and every move between them.
import type { Bans } from "../chat/bans.ts";
import type { Hub } from "../chat/hub.ts";
import type { Arrival, Member } from "../chat/member.ts";
import type { Secret } from "../chat/secret.ts";
import { parseIp, type Ip } from "../wire/cidr.ts";
import { parseInput } from "../wire/commands.ts";
import { toJson, type Reason } from "../wire/events.ts";
import { decodeLine, encodeLine, LineReader } from "../wire/framing.ts";
import type { Notices } from "../wire/messages.ts";
import { cleanText, isBlank } from "../wire/sanitize.ts";
import { formatAddress } from "../errors.ts";
import type { Lobby } from "./lobby.ts";
import type { Log } from "./log.ts";
import { Login } from "./login.ts";
import type { Disconnect, Metrics, Refusal } from "./metrics.ts";
import { Outbox, type OutboxOptions, type Writable } from "./outbox.ts";
import { TokenBucket } from "./ratelimit.ts";
import { HTTP_REPLY, opensHttp, opensTls, TLS_REPLY } from "./sniff.ts";
import type { Schedule } from "./schedule.ts";
import { IAC, Telnet } from "./telnet.ts";

/**
 * What a connection writes to and closes. A Bun TCP socket is one as it is; a WebSocket is one
 * once wrapped: write() says how many bytes the peer took (Bun keeps nothing beyond that count,
 * so the outbox keeps the rest), shutdown() is a half-close after what was taken (reading goes
 * on), terminate() drops everything at once.
 */
export interface Transport extends Writable {
  readonly remoteAddress: string;
  readonly remotePort: number;
  /**
   * A web page's socket (web.ts): what it arrives as, JSON mode always. Its TLS and its HTTP are
   * behind it when it opens, so it has no handshake, and its first bytes are not sniffed.
   */
  readonly arrival?: Arrival;
}

/** What a connection needs of the server it came to: the room, the lobby, the limits, the clock. */
export interface Venue {
  readonly hub: Hub;
  readonly lobby: Lobby<Connection>;
  readonly turn: Schedule;
  readonly outbox: OutboxOptions;
  readonly metrics: Metrics;
  readonly log: Log;
  readonly bans: Bans;
  readonly rules: Rules;
  /** The replies, in the room's language. */
  readonly says: Notices;
  /** The clock as last read: lines of one chunk share it. */
  readonly now: number;
  /** Reads the clock (once per socket or timer event: it is not free). */
  tick(): number;
  /** The connection no longer counts in the limits (in all, and per IP). */
  release(c: Connection): void;
}

/** The server's options a connection's life follows. */
export interface Rules {
  tls: boolean;
  /** The room password; without one, newcomers are in at once. */
  password?: Secret;
  maxLine: number;
  /** Lines a second per client; 0 = no flood control. */
  rate: number;
  burst: number;
  /** How long a newcomer has for the TLS handshake and the password, together. */
  loginTimeoutMs: number;
  /** The pause before a wrong password is answered. */
  loginPauseMs: number;
}

/**
 * Where a connection stands, and what it holds there. Only "in" is known to the hub: before
 * that, nothing anyone says reaches it and nothing it sends reaches anyone.
 */
export type Stage =
  /** Accepted by the kernel, not yet judged (only while open() runs). */
  | { kind: "new" }
  /** TLS: the handshake is under way; the login timer runs. */
  | { kind: "handshake"; timer: Timer }
  /** TLS, and turned away: the reason goes out once the handshake lets the client read it. */
  | { kind: "refusing"; refusal: Exclude<Refusal, "denied">; timer: Timer }
  /** The room has a password: lines are answers. The login timer goes on from the handshake. */
  | { kind: "password"; login: Login; timer: Timer; heard: boolean; inputEnded: boolean }
  /**
   * Let in, waiting for its first bytes or its turn (the lobby's greeting window), whichever
   * comes first. Its first lines may say how to arrive (`/nick NAME`, `/mode json`,
   * `/join #room`): it is then announced once, under that name, in that room. A password's
   * right answer leads here too. arrival: set when its first bytes come, with what its first
   * lines ask; it joins at the end of the first chunk that ends a line, or before the first
   * line that is not about arriving.
   */
  | { kind: "lobby"; arrival?: Arrival }
  /** In the room. heard: its first bytes have come (and were not HTTP or TLS). */
  | { kind: "in"; heard: boolean; lastLine: number; bucket?: TokenBucket; warnedSlow: boolean }
  /** The stay is over: nothing it sends is read. why is what the metrics count once the socket closes. */
  | { kind: "out"; why: Disconnect | "refused" };

/** Nothing came behind a password's answer (shared: most newcomers have no password to answer). */
const NO_LINES: readonly string[] = Object.freeze([]);

/** The stages that hold nothing are shared: a crowd arriving does not make one of each per person. */
const NEW: Stage = Object.freeze({ kind: "new" });
const LOBBY: Stage = Object.freeze({ kind: "lobby" });

/** Stages counted in the limits: let in, and not yet out. */
function counted(stage: Stage): boolean {
  return stage.kind === "handshake" || stage.kind === "password" || stage.kind === "lobby" || stage.kind === "in";
}

/** What the room is told of a departure that the hub did not cause itself. */
function leaveReason(why: Disconnect | "refused"): Reason | undefined {
  return why === "idle" || why === "too slow" ? why : undefined;
}

const LF = 0x0a;

/** What one turned away is told. */
function goodbye(says: Notices, refusal: Exclude<Refusal, "denied">): string {
  return { full: says.serverFull, "shutting down": says.shuttingDown, banned: says.banned }[refusal];
}

/** `::ffff:127.0.0.1` is 127.0.0.1 to a person and to the per-IP limit. */
function plainIp(address: string): string {
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

/**
 * One connection: the hub sees it as a Member, its outbox as the transport it writes to
 * (counting the bytes the peer takes). Methods, not closures: fewer functions per connection.
 *
 * Every move goes through #move:
 *
 *   new ── refused ─────────────────────────────────────────────► out (not a word if denied, else why)
 *    │  └─ refused, TLS ─► refusing ── handshake, timeout ──────► out
 *    ├─ TLS ──────────► handshake ── failed, timeout, FIN ──────► out
 *    │                    └─ done ─┐
 *    ├─ password ──────────────────┴► password ── wrong ×3, timeout, FIN, telnet's Ctrl-C ─► out
 *    │                                  └─ right ─┐
 *    └─ (and after the handshake) ────────────────┴► lobby ── first bytes (with how to arrive), its turn, FIN ─► in
 *                                                     └─ HTTP or TLS, Ctrl-C, close ─► out (never announced)
 *   in ── /quit, telnet's Ctrl-C, kick, ban, idle, too slow, FIN, close, shutdown, HTTP or TLS ─► out
 */
export class Connection implements Member, Writable {
  readonly address: string;
  readonly ip: string;
  readonly outbox: Outbox;
  /**
   * The line reader and what it calls back, made once on the first bytes (not per chunk: every chunk
   * hands them to the reader), and only then: most of a crowd never says a word.
   */
  #lines?: { reader: LineReader; onLine: (line: Uint8Array) => void; onTooLong: () => void };
  /** Parsed when first asked for (an access list, a ban): null when unreadable. */
  #parsedIp?: Ip | null;
  stage: Stage = NEW;
  readonly #venue: Venue;
  readonly #metrics: Metrics;
  /** The TLS handshake is this connection's own to do (not a web page's: Bun.serve did it). */
  readonly #tls: boolean;
  /** Made when the first telnet command comes: most peers never send one. */
  #telnet?: Telnet;

  constructor(
    readonly transport: Transport,
    venue: Venue,
  ) {
    this.#venue = venue;
    this.#metrics = venue.metrics;
    this.#tls = venue.rules.tls && transport.arrival === undefined;
    this.ip = plainIp(transport.remoteAddress);
    this.address = formatAddress(this.ip, transport.remotePort);
    this.outbox = new Outbox(this, venue.turn, venue.outbox);
  }

  get parsedIp(): Ip | undefined {
    if (this.#parsedIp === undefined) this.#parsedIp = parseIp(this.ip) ?? null;
    return this.#parsedIp ?? undefined;
  }

  // ── The transport, as the outbox sees it ──

  write(data: Uint8Array, byteOffset?: number, byteLength?: number): number {
    const written = this.transport.write(data, byteOffset, byteLength);
    if (written > 0) this.#metrics.bytesOut += written;
    return written;
  }

  shutdown(): void {
    this.transport.shutdown();
  }

  terminate(): void {
    this.transport.terminate();
  }

  // ── The member, as the hub sees it ──

  send(bytes: Uint8Array): void {
    this.#metrics.deliveries++;
    this.outbox.send(bytes);
  }

  /** The hub's way out: /quit, or an operator's kick or ban. The hub has already taken it out of the room. */
  close(reason?: Reason): void {
    if (this.stage.kind === "out") return; // its own leave, come back from the hub
    this.#out(reason === "kicked" || reason === "banned" ? reason : "quit");
  }

  joined(name: string, room: string): void {
    this.#venue.log.info(`${this.#who(name)} joined ${room}`);
  }

  left(name: string, room: string, reason?: Reason): void {
    if (this.stage.kind === "out" && this.stage.why === "shutdown") return; // everyone at once: the shutdown is logged
    this.#venue.log.info(`${this.#who(name)} left ${room}${reason ? ` (${reason})` : ""}`);
  }

  /** The name and the address, or the address once when the name is still the address (the default). */
  #who(name: string): string {
    return name === this.address ? name : `${name} (${this.address})`;
  }

  // ── Events: each stage takes those it knows and ignores the rest ──

  /** Just accepted: refused (the server has counted it in the refusals), or on its way in (counted in the limits). */
  open(refusal: Refusal | undefined): void {
    const { password, loginTimeoutMs } = this.#venue.rules;
    const tls = this.#tls;
    if (refusal === "denied") {
      // --deny and --allow are a firewall's job done here: not a word, not a handshake.
      this.#move({ kind: "out", why: "refused" });
      return this.outbox.terminate();
    }
    if (refusal && tls) {
      const timer = setTimeout(Connection.#terminate, loginTimeoutMs, this);
      return this.#move({ kind: "refusing", refusal, timer });
    }
    if (refusal) return this.#goodbye(refusal, "refused");
    if (!tls && !password) return this.#enter();
    // Scanners and plain clients on a TLS port send nothing useful: they get this long, then are closed.
    const timer = setTimeout(Connection.#loginTimeout, loginTimeoutMs, this);
    if (tls) this.#move({ kind: "handshake", timer });
    else this.#askPassword(password!, timer);
  }

  /** TLS only: the handshake is over; a failed one (a plain client, a scanner) is closed at once. */
  handshake(ok: boolean): void {
    const stage = this.stage;
    if (stage.kind !== "handshake" && stage.kind !== "refusing") return;
    if (ok && stage.kind === "refusing") return this.#goodbye(stage.refusal, "refused");
    if (ok && stage.kind === "handshake") {
      const { password } = this.#venue.rules;
      return password ? this.#askPassword(password, stage.timer) : this.#enter();
    }
    this.#refused("TLS handshake failed");
    this.#out("login", "terminate");
  }

  /** Bytes from the peer. */
  data(chunk: Uint8Array): void {
    const stage = this.stage;
    if ((stage.kind !== "lobby" && stage.kind !== "password" && stage.kind !== "in") || !this.outbox.open) return;
    this.#venue.tick();
    if ((stage.kind === "lobby" || !stage.heard) && !this.transport.arrival) {
      if (stage.kind !== "lobby") stage.heard = true;
      if (!this.#tls && opensTls(chunk)) return this.#wrongProtocol("TLS", TLS_REPLY);
      if (opensHttp(chunk)) return this.#wrongProtocol("HTTP", HTTP_REPLY);
    }
    let bytes = chunk;
    if (this.#telnet || chunk.includes(IAC)) bytes = (this.#telnet ??= new Telnet()).strip(chunk);
    if (stage.kind === "lobby") this.#arrival(); // its first bytes have come
    const lines = this.#lines ?? this.#startReading();
    lines.reader.push(bytes, lines.onLine, lines.onTooLong);
    // Its first lines are all in (a line cut short may be one more): in, as they asked.
    const now = this.stage;
    if (now.kind === "lobby" && now.arrival && bytes[bytes.length - 1] === LF) this.#join(true, now.arrival);
    if (this.#telnet?.interrupted) this.#interrupt();
  }

  /** Apart from data(): a method holding closures makes a scope at every call, and data() runs for every chunk. */
  #startReading(): NonNullable<typeof this.#lines> {
    return (this.#lines = {
      reader: new LineReader(this.#venue.rules.maxLine),
      onLine: (line) => this.#line(line),
      onTooLong: () => this.#tooLong(),
    });
  }

  /**
   * The peer has finished sending (FIN): its last line counts (a line, or an answer to the
   * password), then it leaves, and gets what was queued for it before the close. Answers still
   * waiting out a wrong one's pause are judged first: the login ends the stay.
   */
  end(): void {
    const stage = this.stage;
    this.#venue.tick();
    if (stage.kind === "password") {
      stage.inputEnded = true;
      this.#lines?.reader.finish(this.#lines.onLine);
      if (this.stage === stage) return stage.login.end();
    } else if (stage.kind === "lobby" || stage.kind === "in") {
      if (stage.kind === "lobby") this.#join(stage.arrival !== undefined, stage.arrival);
      this.#lines?.reader.finish(this.#lines.onLine);
    }
    this.#out("closed");
  }

  /** The socket has closed: whatever stage it was in is over. */
  closed(): void {
    this.#venue.tick();
    this.#move({ kind: "out", why: "closed" });
    this.outbox.closed();
    const { why } = this.stage as { why: Disconnect | "refused" };
    if (why !== "refused") this.#metrics.disconnects[why]++;
  }

  /** The outbox passed its cap. */
  tooSlow(): void {
    // Not in the middle of the broadcast that overflowed it: the others get that line first.
    // The outbox has already dropped everything, so the transport itself is closed.
    queueMicrotask(() => {
      this.#move({ kind: "out", why: "too slow" });
      this.transport.terminate();
    });
  }

  /** --idle: out if in the room and silent since `before`. */
  dropIfIdle(before: number): void {
    if (this.stage.kind === "in" && this.stage.lastLine <= before) this.#out("idle");
  }

  /** The lobby's turn for it: its greeting window is over. */
  letIn(): void {
    if (this.stage.kind === "lobby") this.#join(this.stage.arrival !== undefined, this.stage.arrival);
  }

  /** The server is going: every connection's outbox is ended first, so no one hears of the others leaving. */
  shutDown(): void {
    this.#move({ kind: "out", why: "shutdown" });
  }

  // ── Every move ──

  /**
   * The one place a connection changes stage. What the stage left held goes with it (its timer,
   * unless the next stage carries it on; its login; its place in the lobby or the room), and the
   * stage entered takes its place (the lobby's queue, the room). Out is the end: nothing moves on.
   */
  #move(next: Stage, arrival?: Arrival): void {
    const from = this.stage;
    if (from.kind === "out") return;
    const venue = this.#venue;
    // Set first: whatever the effects below call back (the hub closing a member it takes out) finds it moved.
    // One that was never let in leaves as refused, whatever ended it.
    this.stage = next.kind === "out" && (from.kind === "new" || from.kind === "refusing") ? { kind: "out", why: "refused" } : next;
    switch (from.kind) {
      case "handshake":
      case "refusing":
      case "password":
        if (!("timer" in next) || next.timer !== from.timer) clearTimeout(from.timer);
        if (from.kind === "password") from.login.cancel();
        break;
      case "lobby":
        venue.lobby.remove(this); // in by its turn (already taken out), or gone before it: never announced
        break;
      case "in":
        if (next.kind !== "out") break;
        venue.tick(); // also when a timer, not a socket, ends the stay
        venue.hub.leave(this, leaveReason(next.why)); // the hub may have taken it out already (/quit, kick)
        break;
    }
    if (next.kind === "out" && counted(from)) venue.release(this);
    if (next.kind === "lobby") venue.lobby.add(this);
    // A web page's socket arrives as it said when it opened (JSON mode always), whatever its first lines ask.
    if (next.kind === "in") venue.hub.join(this, this.transport.arrival ? { ...arrival, ...this.transport.arrival } : arrival);
  }

  /** Out, then the outbox says goodbye after what is queued (end), or drops it (terminate). */
  #out(why: Disconnect, how: "end" | "terminate" = "end"): void {
    this.#move({ kind: "out", why });
    if (how === "end") this.outbox.end();
    else this.outbox.terminate();
  }

  /** Turned away in words: the reason after what is queued, then the close. */
  #goodbye(refusal: Exclude<Refusal, "denied">, why: Disconnect | "refused"): void {
    this.#move({ kind: "out", why });
    this.notice(goodbye(this.#venue.says, refusal));
    this.outbox.end();
  }

  #askPassword(password: Secret, timer: Timer): void {
    const login = new Login(password, this.#venue.rules.loginPauseMs, {
      ask: () => this.notice(this.#venue.says.password),
      refuse: (last) => {
        this.#venue.log.debug(`${this.address}: wrong password`);
        this.notice(this.#venue.says.wrongPassword);
        if (!last) return;
        this.#refused("wrong password");
        this.#out("login");
      },
      admit: (after) => this.#enter(after),
      left: () => this.#out("closed"),
    });
    this.#move({ kind: "password", login, timer, heard: false, inputEnded: false });
    login.start();
  }

  /**
   * Past the handshake and the password. Without a password a newcomer waits its turn in the
   * lobby; one that answered the password has spoken, so it comes in at once, like one that
   * speaks in the lobby, and then `after`, the lines that came behind its answer, are said.
   */
  #enter(after: readonly string[] = NO_LINES): void {
    const stage = this.stage;
    const inputEnded = stage.kind === "password" && stage.inputEnded;
    // A ban given while this one was typing its password counts too.
    const { bans } = this.#venue;
    if (bans.size > 0 && bans.find(this.parsedIp, Date.now())) return this.#goodbye("banned", "banned");
    this.#move(LOBBY);
    // What came behind the password are its first lines.
    for (const line of after) {
      const now = this.stage;
      if (now.kind === "lobby") this.#arriving(line);
      else this.#said(line);
    }
    // A peer that has finished sending has nothing more to say about arriving.
    const now = this.stage;
    if (now.kind === "lobby" && (now.arrival || inputEnded)) this.#join(true, now.arrival);
    if (inputEnded) this.#out("closed");
  }

  /** A line before it is in the room: one that says how to arrive is kept; any other lets it in, as asked so far, and is said. */
  #arriving(text: string): void {
    const arrival = this.#arrival();
    if (this.#opening(arrival, text)) return;
    this.#join(true, arrival);
    this.#said(text);
  }

  /**
   * What the lobby holds of its first lines, from its first bytes on. The empty lobby stage is
   * shared, so the first bytes replace it with one of its own: the same stage, holding more, and
   * no move (its place in the lobby's queue stays).
   */
  #arrival(): Arrival {
    const stage = this.stage;
    if (stage.kind !== "lobby") return {};
    if (stage.arrival) return stage.arrival;
    const arrival: Arrival = {};
    this.stage = { kind: "lobby", arrival };
    return arrival;
  }

  /** Whether a first line says how to arrive, kept in arrival if so. A second one of a kind is said in the room, as usual. */
  #opening(arrival: Arrival, received: string): boolean {
    const text = cleanText(received);
    if (isBlank(text)) return true;
    const input = parseInput(text);
    if (input.kind === "nick" && arrival.name === undefined) {
      arrival.name = input.name;
      return true;
    }
    if (input.kind === "mode" && (input.mode === "json" || input.mode === "plain") && arrival.json === undefined) {
      arrival.json = input.mode === "json";
      return true;
    }
    if (input.kind === "join" && arrival.room === undefined) {
      arrival.room = input.room;
      return true;
    }
    return false;
  }

  /** telnet's Ctrl-C: /quit. One not yet in the room goes without a word. */
  #interrupt(): void {
    if (this.stage.kind === "in") this.#venue.hub.handle(this, { kind: "quit" });
    else this.#out("quit");
  }

  /** Into the room, arriving as it asked. */
  #join(heard: boolean, arrival?: Arrival): void {
    const now = this.#venue.tick();
    const { rate, burst } = this.#venue.rules;
    const bucket = rate > 0 ? new TokenBucket(rate, burst, now) : undefined;
    this.#move({ kind: "in", heard, lastLine: now, bucket, warnedSlow: false }, arrival);
  }

  /** A refusal after the door (the server logs those at the door): one line for the operator. */
  #refused(why: string): void {
    this.#venue.log.info(`${this.address} refused (${why})`);
  }

  /**
   * The login timers' callbacks, given the connection as their argument: a closure in open() would
   * make a scope at every call, for every newcomer, although most never start a timer.
   */
  static readonly #terminate = (c: Connection): void => c.outbox.terminate();
  static readonly #loginTimeout = (c: Connection): void => c.#loginTimedOut();

  /** Its login timer has run out: out, if it is still in the TLS handshake or at the password. */
  #loginTimedOut(): void {
    if (this.stage.kind !== "handshake" && this.stage.kind !== "password") return;
    this.#refused("did not log in in time");
    this.#out("login");
  }

  #line(bytes: Uint8Array): void {
    const stage = this.stage;
    if (stage.kind === "password") return stage.login.answer(decodeLine(bytes));
    if (stage.kind === "lobby") return this.#arriving(decodeLine(bytes));
    if (stage.kind === "in") this.#said(decodeLine(bytes));
  }

  /** A line said in the room, as received: cleaned, counted, rate-limited, then to the hub. */
  #said(received: string): void {
    const stage = this.stage;
    if (stage.kind !== "in" || !this.outbox.open) return; // /quit or an overflow earlier in this chunk
    const text = cleanText(received);
    if (isBlank(text)) return;
    this.#metrics.linesIn++;
    stage.lastLine = this.#venue.now;
    if (stage.bucket && !stage.bucket.take(stage.lastLine)) {
      if (!stage.warnedSlow) this.#venue.hub.tell(this, this.#venue.says.slowDown, { code: "slow_down" });
      stage.warnedSlow = true;
      return;
    }
    stage.warnedSlow = false;
    this.#venue.hub.handle(this, parseInput(text));
  }

  #tooLong(): void {
    const stage = this.stage;
    if (stage.kind === "lobby") this.#join(true, stage.arrival);
    if (this.stage.kind === "in") this.#venue.hub.tell(this, this.#venue.says.lineTooLong(this.#venue.rules.maxLine), { code: "line_too_long" });
  }

  /** A TLS client on a plain port, or a web client: what it sends is not chat. Told so in plain text, and closed; if already in, it leaves. */
  #wrongProtocol(protocol: string, reply: Uint8Array): void {
    this.#refused(`speaks ${protocol}`);
    this.#move({ kind: "out", why: "login" }); // unannounced if it was still in the lobby
    this.outbox.send(reply);
    this.outbox.end();
  }

  /** A notice for this connection alone before it is in the room (`* password:`, `* server is full`). */
  notice(text: string): void {
    this.outbox.send(encodeLine(this.transport.arrival ? toJson({ type: "notice", text }, Date.now()) : `* ${text}`));
  }
}
