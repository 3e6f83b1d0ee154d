import { defineCommand } from "citty";
import { AccessList } from "../core/server/access.ts";
import { Secret } from "../core/chat/secret.ts";
import { Bans, type Ban } from "../core/chat/bans.ts";
import { ChatError, usageError } from "../core/errors.ts";
import { DEFAULT_HISTORY, DEFAULT_MAX_ROOMS } from "../core/chat/hub.ts";
import { LANGS, wordsFor } from "../core/wire/messages.ts";
import { serveMetrics } from "../core/server/monitor.ts";
import { Moderation } from "../core/chat/moderation.ts";
import {
  DEFAULT_PORT,
  parseChoice,
  parseCount,
  parseDuration,
  parseEndpoint,
  parseOrigins,
  parsePort,
  parseRanges,
  parseRate,
  parseSize,
  pick,
  pickAll,
  pickBoolean,
  type Env,
} from "../core/options.ts";
import { parseIp } from "../core/wire/cidr.ts";
import { ChatServer, type Log, type ServerOptions } from "../core/server/server.ts";
import { pageLink, serveWeb } from "../core/server/web.ts";
import { loadBans, saveBans } from "../core/server/state.ts";
import type { TlsFiles } from "../core/server/tls.ts";
import { createLog, readFlagFile, readSecret, sharedArgs } from "./shared.ts";
import { flag, option } from "./usage.ts";
import { ClusterUnreachable, RedisBus } from "../core/bus/redis/cluster.ts";
import { parseRedisUrl } from "../core/bus/redis/target.ts";

// Each option names its group in the help; new ones join a group, or add one to GROUPS in usage.ts.
const serveArgs = {
  host: option("network", "address to listen on (default 0.0.0.0) [CHAT_HOST]", "HOST", "H"),
  port: option("network", `port to listen on, 0 for any free port (default ${DEFAULT_PORT}) [CHAT_PORT]`, "PORT", "p"),
  metrics: option("network", "serve GET /metrics and /healthz over HTTP here, e.g. 127.0.0.1:9100 or :9100 (default off) [CHAT_METRICS]", "HOST:PORT"),
  lang: option("room", "language of the room's words: en or zh (default en) [CHAT_LANG]", "LANG"),
  anonymous: flag("room", "name newcomers guest-N instead of by their address [CHAT_ANONYMOUS]"),
  history: option("room", `chat lines replayed to a newcomer, 0 = off (default ${DEFAULT_HISTORY}) [CHAT_HISTORY]`, "N"),
  motd: option("room", "file whose lines every newcomer sees after the welcome [CHAT_MOTD]", "FILE"),
  "max-rooms": option("room", `rooms kept at most; past it the one empty longest is forgotten, 0 = no limit (default ${DEFAULT_MAX_ROOMS}) [CHAT_MAX_ROOMS]`, "N"),
  "max-line": option("limits", "longest line in bytes; longer ones are dropped (default 4096) [CHAT_MAX_LINE]", "BYTES"),
  "max-queue": option("limits", "bytes queued for a client that does not read before it is dropped (default 1MiB) [CHAT_MAX_QUEUE]", "BYTES"),
  rate: option("limits", "lines a second per client, 0 = no flood control (default 5) [CHAT_RATE]", "N"),
  burst: option("limits", "lines a client may send at once (default 50) [CHAT_BURST]", "N"),
  "max-clients": option("limits", "clients in all, 0 = no limit (default 10000) [CHAT_MAX_CLIENTS]", "N"),
  "max-per-ip": option("limits", "clients from one IP address, 0 = no limit (default 16) [CHAT_MAX_PER_IP]", "N"),
  idle: option("limits", "drop clients silent this long, e.g. 5m; 0 = never (default off) [CHAT_IDLE]", "DURATION"),
  "login-timeout": option("limits", "time for the TLS handshake and the password (default 30s) [CHAT_LOGIN_TIMEOUT]", "DURATION"),
  "tls-cert": option("security", "PEM certificate (chain) to serve TLS with; needs --tls-key [CHAT_TLS_CERT]", "FILE"),
  "tls-key": option("security", "PEM private key of --tls-cert [CHAT_TLS_KEY]", "FILE"),
  "password-file": option("security", "file holding the room password (or set CHAT_PASSWORD) [CHAT_PASSWORD_FILE]", "FILE"),
  "op-password-file": option("security", "file holding the password for /op (or set CHAT_OP_PASSWORD) [CHAT_OP_PASSWORD_FILE]", "FILE"),
  allow: option("security", "let in only these addresses, e.g. 10.0.0.0/8; repeatable [CHAT_ALLOW, comma-separated]", "CIDR"),
  deny: option("security", "keep these addresses out, before --allow; repeatable [CHAT_DENY, comma-separated]", "CIDR"),
  state: option("security", "file where bans are kept across restarts [CHAT_STATE]", "FILE"),
  redis: option("cluster", "join a cluster through Redis: redis://[:PASSWORD@]HOST[:PORT][/DB], rediss:// for TLS; put a password in CHAT_REDIS, not here [CHAT_REDIS]", "URL"),
  cluster: option("cluster", "the cluster's name, the prefix of its keys in Redis (default chat) [CHAT_CLUSTER]", "NAME"),
  "redis-ca": option("cluster", "with rediss://: trust the CA in this PEM file for Redis's certificate (else the system's CAs) [CHAT_REDIS_CA]", "FILE"),
  web: option("web", "also serve the room to browsers: the page on this port, its WebSocket at /ws (default off) [CHAT_WEB]", "PORT"),
  "web-host": option("web", "address the web page listens on (default: --host) [CHAT_WEB_HOST]", "HOST"),
  "web-origin": option("web", "another site whose pages may open the socket, e.g. https://chat.example.org, or *; repeatable [CHAT_WEB_ORIGIN, comma-separated]", "ORIGIN"),
  ...sharedArgs,
} as const;

export const examples: [string, string][] = [
  ["chat serve", "a room on port 8000, on every address"],
  ["chat serve -H 127.0.0.1 -p 9000", "on this machine only, port 9000"],
  ["chat serve --motd motd.txt --idle 30m", "a greeting; drop the silent after 30 min"],
  ["chat serve --tls-cert c.pem --tls-key k.pem", "TLS: join with chat connect --tls"],
  ["CHAT_PASSWORD=s3cret chat serve", "a room with a password"],
  ["chat serve --web 8080", "the room in a browser too: http://HOST:8080/"],
];

/** Flags, then CHAT_* variables, then defaults. */
function serveOptions(args: Record<string, unknown>, env: Env): Omit<ServerOptions, "motd"> & { motdFile?: string } {
  const get = (flag: string) => pick(args, env, flag);
  const lang = parseChoice(get("lang") ?? "en", "--lang", LANGS);
  const maxLine = parseSize(get("max-line") ?? "4096", "--max-line");
  if (maxLine < 1) throw usageError("bad --max-line: must be at least 1 byte");
  return {
    host: get("host") ?? "0.0.0.0",
    port: parsePort(get("port") ?? String(DEFAULT_PORT)),
    words: wordsFor(lang),
    anonymous: pickBoolean(args, env, "anonymous"),
    history: parseCount(get("history") ?? String(DEFAULT_HISTORY), "--history"),
    maxRooms: parseCount(get("max-rooms") ?? String(DEFAULT_MAX_ROOMS), "--max-rooms"),
    motdFile: get("motd"),
    maxLine,
    maxQueue: parseSize(get("max-queue") ?? "1MiB", "--max-queue"),
    rate: parseRate(get("rate") ?? "5", "--rate"),
    burst: parseCount(get("burst") ?? "50", "--burst"),
    maxClients: parseCount(get("max-clients") ?? "10000", "--max-clients"),
    maxPerIp: parseCount(get("max-per-ip") ?? "16", "--max-per-ip"),
    idleMs: parseDuration(get("idle") ?? "0", "--idle"),
    loginTimeoutMs: parseLoginTimeout(get("login-timeout") ?? "30s"),
  };
}

/** Unlike --idle, never off: a connection that does not log in must not hold a place for ever. */
function parseLoginTimeout(text: string): number {
  const ms = parseDuration(text, "--login-timeout");
  if (ms === 0) throw usageError("bad --login-timeout: must be more than 0");
  return ms;
}

/** What keeps a public room safe: TLS, passwords, access lists, bans; files are read here, so a bad one stops the start. */
async function securityOptions(args: Record<string, unknown>, rawArgs: string[], env: Env, log: Log) {
  const get = (flag: string) => pick(args, env, flag);
  const access = new AccessList(parseRanges(pickAll(rawArgs, env, "allow"), "--allow"), parseRanges(pickAll(rawArgs, env, "deny"), "--deny"));
  const password = await readSecret(get("password-file"), "--password-file", env.CHAT_PASSWORD);
  const opPassword = await readSecret(get("op-password-file"), "--op-password-file", env.CHAT_OP_PASSWORD);
  const bans = new Bans(...openState(get("state"), log));
  return {
    access,
    password: password === undefined ? undefined : new Secret(password),
    moderation: new Moderation({ bans, ...(opPassword === undefined ? {} : { opSecret: new Secret(opPassword) }) }),
    tls: await readTls(get("tls-cert"), get("tls-key")),
    metrics: optional(get("metrics"), (text) => parseEndpoint(text, "--metrics", "127.0.0.1")),
  };
}

/** --web and its company; undefined when the room is not served to browsers. */
function webOptions(args: Record<string, unknown>, rawArgs: string[], env: Env, host: string) {
  const port = pick(args, env, "web");
  const webHost = pick(args, env, "web-host");
  const origins = parseOrigins(pickAll(rawArgs, env, "web-origin"), "--web-origin");
  if (port === undefined) {
    if (webHost !== undefined || origins.length > 0) throw usageError("--web-host and --web-origin need --web PORT");
    return undefined;
  }
  return { host: webHost ?? host, port: parsePort(port, "--web"), origins };
}

function optional<T>(text: string | undefined, parse: (text: string) => T): T | undefined {
  return text === undefined ? undefined : parse(text);
}

/** The bans kept in the --state file, and how to keep them there; the file is written at once, so an unwritable path stops the start. */
function openState(file: string | undefined, log: Log): [Ban[], (bans: readonly Ban[]) => void] {
  if (!file) return [[], () => {}];
  const bans = loadBans(file);
  const save = (list: readonly Ban[]) => saveBans(file, list);
  save(bans);
  return [
    bans,
    (list) => {
      try {
        save(list);
      } catch (error) {
        log.warn(`${(error as Error).message}; the bans hold until the server stops`);
      }
    },
  ];
}

async function readTls(certFile: string | undefined, keyFile: string | undefined): Promise<TlsFiles | undefined> {
  if (!certFile && !keyFile) return undefined;
  if (!certFile || !keyFile) throw usageError("--tls-cert and --tls-key go together");
  return { cert: await readFlagFile(certFile, "--tls-cert"), key: await readFlagFile(keyFile, "--tls-key"), certFile, keyFile };
}

/** The motd's lines; blank lines at its end (an editor's final newline and more) would show as bare `* ` lines. */
async function readMotd(file: string | undefined): Promise<string[]> {
  if (!file) return [];
  const text = (await readFlagFile(file, "--motd")).replace(/\s+$/, "");
  return text === "" ? [] : text.split(/\r?\n/).map((line) => line.trimEnd());
}

/** With --redis, the cluster's bus, connected; without it, none (this process alone). */
async function joinCluster(args: Record<string, unknown>, env: Env, log: Log): Promise<RedisBus | undefined> {
  const url = pick(args, env, "redis");
  if (url === undefined) return undefined;
  const parsed = parseRedisUrl(url);
  if (typeof parsed === "string") throw usageError(parsed);
  const caFile = pick(args, env, "redis-ca");
  if (caFile !== undefined && !parsed.tls) throw usageError("--redis-ca is for a rediss:// URL (Redis over TLS)");
  const target = caFile === undefined ? parsed : { ...parsed, ca: await readFlagFile(caFile, "--redis-ca") };
  const cluster = pick(args, env, "cluster") ?? "chat";
  if (!/^[\w.-]{1,64}$/.test(cluster)) throw usageError(`bad --cluster: 1 to 64 letters, digits, _, - or ., not "${cluster}"`);
  try {
    const bus = await RedisBus.open({ target, cluster, log });
    log.info(`cluster ${cluster} through Redis at ${target.where}, as server ${bus.node}`);
    return bus;
  } catch (error) {
    if (error instanceof ClusterUnreachable) throw new ChatError(error.message);
    throw error;
  }
}

/** Bun's listen says only "Failed to listen at HOST" or EINVAL for a name it cannot resolve: a lookup first says why. */
async function checkHost(host: string, flag: string): Promise<void> {
  if (parseIp(host)) return;
  try {
    await Bun.dns.lookup(host);
  } catch {
    throw new ChatError(`${flag} ${host}: host not found`);
  }
}

export default defineCommand({
  meta: { name: "serve", description: "Run a chat room that anyone can join with chat connect, nc or telnet" },
  args: serveArgs,
  async run({ args, rawArgs }) {
    const log = createLog(args);
    const { motdFile, ...options } = serveOptions(args, process.env);
    const { metrics, ...security } = await securityOptions(args, rawArgs, process.env, log);
    const web = webOptions(args, rawArgs, process.env, options.host);
    await checkHost(options.host, "--host");
    if (web && web.host !== options.host) await checkHost(web.host, "--web-host");
    if (metrics) await checkHost(metrics.host, "--metrics");
    const bus = await joinCluster(args, process.env, log);
    const server = new ChatServer({ ...options, ...security, motd: await readMotd(motdFile), ...(bus ? { bus, cluster: bus } : {}) }, log);
    // The cluster's state and everything in its stream first: the first newcomer sees the whole chat.
    await bus?.start();
    // Before listening: whoever reads "listening on" may signal at once.
    const signalled = new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    // Every port is taken before any is announced: a --metrics port in use stops the start before anyone can join.
    const monitor = metrics === undefined ? undefined : serveMetrics(metrics, server);
    const page = web && serveWeb({ ...web, tls: security.tls, maxLine: options.maxLine, lang: options.words.lang }, server, log);
    server.listen();
    if (monitor) log.info(`metrics on ${monitor.url.href}metrics`);
    if (page) log.info(`web page on ${pageLink(page)}`);
    if (security.tls) log.info("TLS is on");
    if (security.password) log.info("the room has a password");
    await signalled;
    log.info("shutting down");
    monitor?.stop(true);
    // New pages are turned away at once; the sockets already open leave with the others.
    void page?.stop(false);
    await server.stop();
    await bus?.close();
  },
});
