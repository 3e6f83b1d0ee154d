// The servers `npm run bench` measures and the load generator that measures them: building them (Go from bench/,
// chat with scripts/build.ts), starting each one fresh on a free port of 127.0.0.1, and stopping it and all it runs.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { resolve } from "node:path";
import { ensurePackages } from "./apt.ts";
import { listeningSockets } from "../core/server/backlog.ts";

export const ROOT = resolve(import.meta.dir, "..");
/** Built programs and server logs: dist/ is not part of the repository. */
export const OUT = `${ROOT}/dist/bench`;

/** A server to measure: its column's name and how to start it ({port} is replaced by the port it must listen on). */
export interface Target {
  name: string;
  argv: string[];
  /** What the load generator needs besides the address to reach it (-ws PATH for a WebSocket server). */
  load?: string[];
  /** Run this many servers through one fresh redis-server (`--redis`), the load spread over them. */
  cluster?: number;
}

/** The chat server as the bench runs it: the limits meant for people (flood control, per-address cap, history) and the client cap off. */
export const CHAT: Target = {
  name: "chat",
  argv: ["./dist/chat", "serve", "--host", "127.0.0.1", "--port", "{port}", "--rate", "0", "--max-per-ip", "0", "--history", "0", "--max-clients", "0"],
};
/** Two chat servers, one chat through one redis-server (no persistence): the load generator's clients alternate between them. */
export const CHAT_CLUSTER: Target = { name: "chat-redis", argv: CHAT.argv, cluster: 2 };
export const SEED: Target = { name: "seed", argv: [`${OUT}/seed`, "-addr", "127.0.0.1:{port}"] };
export const TUNED: Target = { name: "tuned", argv: [`${OUT}/tuned`, "-addr", "127.0.0.1:{port}"] };
/** The same server reached by browsers: {port} is its --web port, and every client is a WebSocket at /ws. */
export const CHAT_WEB: Target = {
  name: "chat-web",
  argv: [...CHAT.argv.map((arg) => (arg === "{port}" ? "0" : arg)), "--web", "{port}"],
  load: ["-ws", "/ws"],
};
/** What people would write instead: Node's `ws`, broadcasting every message to every client (scripts/ws-peer.mjs). */
export const WS_PEER: Target = { name: "node-ws", argv: ["node", "scripts/ws-peer.mjs", "--port", "{port}"], load: ["-ws", "/"] };
/** The least a compiled Bun program can do and pass conns (scripts/floor-server.ts): what the runtime itself needs per socket. */
export const FLOOR: Target = { name: "floor", argv: ["./dist/floor", "--port", "{port}"] };
export const LOAD = `${OUT}/load`;

/** The Go toolchain: on PATH, where Debian puts it, or installed with apt-get (golang-go, as a clone on Debian or Ubuntu needs). */
export function findGo(): string {
  const found = () => Bun.which("go") ?? ["/usr/lib/go/bin/go", ...goDirs()].find((path) => existsSync(path));
  let go = found();
  if (!go) {
    ensurePackages([{ package: "golang-go", present: () => false }]);
    go = found();
  }
  if (!go) throw new Error("no Go toolchain, and installing golang-go did not bring one");
  return go;
}

function goDirs(): string[] {
  try {
    return readdirSync("/usr/lib").filter((name) => name.startsWith("go-")).map((name) => `/usr/lib/${name}/bin/go`);
  } catch {
    return [];
  }
}

/** Builds the load generator and the two Go servers of bench/ into dist/bench/, with the standard library only. */
export function buildGo(go = findGo(), dir = `${ROOT}/bench`, into = OUT, programs = ["load", "seed", "tuned"]): void {
  mkdirSync(into, { recursive: true });
  for (const program of programs) {
    const build = Bun.spawnSync([go, "build", "-buildvcs=false", "-o", `${into}/${program}`, `./${program}`], {
      cwd: dir,
      env: { ...process.env, GOFLAGS: "", GO111MODULE: "on", CGO_ENABLED: "0" },
      stdout: "inherit",
      stderr: "inherit",
    });
    if (build.exitCode !== 0) throw new Error(`go build of ${dir}/${program} failed`);
  }
}

/** Compiles dist/chat, and dist/floor from scripts/floor-server.ts with the same flags. */
export function buildBun(): void {
  for (const args of [[], ["--entry", "scripts/floor-server.ts", "--outfile", "dist/floor"]]) {
    const build = Bun.spawnSync([process.execPath, "scripts/build.ts", ...args], { cwd: ROOT, stdout: "inherit", stderr: "inherit" });
    if (build.exitCode !== 0) throw new Error(`scripts/build.ts ${args.join(" ")} failed`);
  }
}

/** A port nothing listens on right now. */
export function freePort(): number {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  return port;
}

/** Whether a socket listens on port, on any address (from /proc/net/tcp and tcp6). */
function listening(port: number): boolean {
  return listeningSockets(port, "/proc").size > 0;
}

export interface Running {
  port: number;
  /** Every address of the chat: one, or one per server of a cluster. */
  addrs: string[];
  /** The server's own pid: it is exec'd in place of the shell that raised its open-files limit. */
  pid: number;
  stop(): Promise<void>;
}

/** Starts target on a free port, its output to log, and resolves once it listens. */
export async function start(target: Target, log: string): Promise<Running> {
  const port = freePort();
  const argv = target.argv.map((arg) => arg.replaceAll("{port}", String(port)));
  // 10 000 clients need 10 000 descriptors: the shell raises the soft limit to the hard one, then becomes the server.
  const proc = Bun.spawn(["bash", "-c", 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"', "bench", ...argv], {
    cwd: ROOT,
    stdin: "ignore",
    stdout: Bun.file(log),
    stderr: Bun.file(log),
    detached: true,
  });
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    killGroup(proc.pid, "SIGTERM");
    const exited = await Promise.race([proc.exited.then(() => true), Bun.sleep(5000).then(() => false)]);
    if (!exited) killGroup(proc.pid, "SIGKILL");
    await proc.exited;
  };
  const deadline = Date.now() + 20_000;
  while (!listening(port)) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${target.name} exited before listening (see ${log})`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${target.name} did not listen on port ${port} within 20 s (see ${log})`);
    }
    await Bun.sleep(50);
  }
  return { port, addrs: [`127.0.0.1:${port}`], pid: proc.pid, stop };
}

/**
 * target.cluster servers of target through a redis-server of their own (its own port and folder, no persistence),
 * each started as start() does. The first server's pid is the one measured; all of them and Redis stop together.
 */
export async function startCluster(target: Target, log: string): Promise<Running> {
  const dir = mkdtempSync(`${tmpdir()}/chat-bench-redis-`);
  const redis = await start({ name: "redis", argv: ["redis-server", "--port", "{port}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir] }, log.replace(/\.log$/, "-redis.log"));
  const servers: Running[] = [];
  const stop = async () => {
    for (const server of servers) await server.stop();
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < (target.cluster ?? 1); i++) {
      const argv = [...target.argv, "--redis", `redis://127.0.0.1:${redis.port}`];
      servers.push(await start({ name: `${target.name}-${i + 1}`, argv }, log.replace(/\.log$/, `-${i + 1}.log`)));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { port: servers[0]!.port, addrs: servers.flatMap((s) => s.addrs), pid: servers[0]!.pid, stop };
}

/** The server runs in its own process group (detached): whatever it started goes with it. */
function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** One scenario's figures, as a load generator prints them (ours or another with the same fields). */
export type Result = Record<string, unknown> & { scenario: string; target: string; error?: string };

/**
 * Runs one scenario of a load generator against a fresh server of target, stops the server, and returns the
 * figures. Never takes longer than the scenario's own bound plus a margin: a wedged run is killed and reported.
 */
export async function measure(target: Target, scenario: string, options: { load?: string; args?: string[]; logs: string; tag?: string }): Promise<Result> {
  const log = `${options.logs}/${target.name}-${scenario}${options.tag ? `-${options.tag}` : ""}.log`;
  let server: Running;
  try {
    server = await (target.cluster ? startCluster(target, log) : start(target, log));
  } catch (error) {
    return { scenario, target: target.name, error: (error as Error).message };
  }
  try {
    const argv = [options.load ?? LOAD, ...(options.load ? ["run"] : []), "-scenario", scenario, "-addr", server.addrs.join(","), "-pid", String(server.pid), "-label", target.name, ...(target.load ?? []), ...(options.args ?? [])];
    const load = Bun.spawn(argv, { cwd: ROOT, stdout: "pipe", stderr: "inherit" });
    const timer = setTimeout(() => load.kill("SIGKILL"), 180_000);
    const out = await new Response(load.stdout).text();
    await load.exited;
    clearTimeout(timer);
    const line = out.trim().split("\n").pop() ?? "";
    if (!line.startsWith("{")) return { scenario, target: target.name, error: `the load generator printed no result (exit ${load.exitCode})` };
    const result = JSON.parse(line) as Result;
    result.target = target.name;
    return result;
  } finally {
    await server.stop();
  }
}

/** A fresh folder for one run's server logs. */
export function logFolder(): string {
  const dir = `${OUT}/logs/${new Date().toISOString().replace(/[:.]/g, "-")}`;
  mkdirSync(dir, { recursive: true });
  return dir;
}
