// A real redis-server for the tests: its own free port and temporary directory, waited for until it answers, stopped by its pid.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { serve } from "./helpers.ts";

export type Persistence = "none" | "always" | "everysec";

export interface Redis {
  port: number;
  url: string;
  pid: number;
  /** kill -9, as a crash would. */
  crash(): Promise<void>;
  /** Starts it again on the same port and directory (what it persisted comes back). */
  restart(): Promise<void>;
  /** One command through redis-cli, its reply as redis-cli prints it. */
  command(...args: string[]): Promise<string>;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** A port nobody listens on now: the kernel picks one, and it is closed again at once. */
export function freePort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

const running = new Set<Subprocess>();
process.on("exit", () => {
  for (const proc of running) proc.kill("SIGKILL");
});

function persistenceArgs(persistence: Persistence): string[] {
  if (persistence === "none") return ["--appendonly", "no"];
  return ["--appendonly", "yes", "--appendfsync", persistence];
}

/** Redis over TLS only: its certificate and key, and the CA that signed them (which redis-cli trusts). */
export interface RedisTls {
  cert: string;
  key: string;
  ca: string;
}

/** `redis-server --port <free> --save '' …` in a temporary directory, once it answers PING; with tls, on a TLS port alone. */
export async function startRedis(options: { persistence?: Persistence; password?: string; tls?: RedisTls } = {}): Promise<Redis> {
  const dir = mkdtempSync(join(tmpdir(), "chat-redis-"));
  const port = freePort();
  const { tls } = options;
  const ports = tls
    ? ["--port", "0", "--tls-port", String(port), "--tls-cert-file", tls.cert, "--tls-key-file", tls.key, "--tls-auth-clients", "no"]
    : ["--port", String(port)];
  const args = ["redis-server", ...ports, "--bind", "127.0.0.1", "--save", "", "--dir", dir, ...persistenceArgs(options.persistence ?? "none")];
  if (options.password) args.push("--requirepass", options.password);
  const cli = tls ? ["--tls", "--cacert", tls.ca] : [];
  let proc: Subprocess;
  const spawn = async () => {
    proc = Bun.spawn(args, { stdout: "ignore", stderr: "pipe" });
    running.add(proc);
    await answers(port, options.password, proc, cli);
  };
  const kill = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
    await proc.exited;
    running.delete(proc);
  };
  await spawn();
  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : "";
  const redis: Redis = {
    port,
    url: `${tls ? "rediss" : "redis"}://${auth}127.0.0.1:${port}`,
    get pid() {
      return proc.pid;
    },
    crash: kill,
    restart: spawn,
    command: (...words) => command(port, options.password, [...cli, ...words]),
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
    [Symbol.asyncDispose]: () => redis.stop(),
  };
  return redis;
}

/** One command through redis-cli; its reply as redis-cli prints it (--no-raw off: one line per item). */
async function command(port: number, password: string | undefined, words: string[]): Promise<string> {
  const proc = Bun.spawn(["redis-cli", "-h", "127.0.0.1", "-p", String(port), ...words], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ...(password ? { REDISCLI_AUTH: password } : {}) },
  });
  const [out, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  if (code !== 0) throw new Error(`redis-cli ${words.join(" ")} exited with ${code}`);
  return out.trimEnd();
}

/** Waits until the server at port answers PING (or its process ends, which fails). */
async function answers(port: number, password: string | undefined, proc: Subprocess, cli: string[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const reply = await command(port, password, [...cli, "PING"]);
      if (reply.includes("PONG")) return;
    } catch {
      // not listening yet
    }
    if (proc.exitCode !== null) throw new Error(`redis-server exited with ${proc.exitCode}: ${await new Response(proc.stderr as ReadableStream).text()}`);
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer within 10 s`);
    await Bun.sleep(20);
  }
}

/** `chat serve --redis URL` on a free port, once it listens (it has read the cluster's state by then). */
export function serveClustered(redis: Redis, args: string[] = [], env: Record<string, string> = {}) {
  return serve(["--redis", redis.url, "--rate", "0", ...args], env);
}
