// Spawning the real binary and talking to it over real sockets: servers, raw TCP clients, and waiting for lines.
import type { Socket, Subprocess } from "bun";

export const ROOT = `${import.meta.dir}/..`;
/** The binary under test: dist/chat, or a release build the release check points CHAT_BINARY at. */
export const CHAT = process.env.CHAT_BINARY ?? `${ROOT}/dist/chat`;
const DEFAULT_WAIT_MS = 5000;

/** Lines as they arrive from a stream, and a way to wait for the one you expect. */
export class Lines {
  readonly all: string[] = [];
  #cursor = 0;
  #partial = "";
  #ended = false;
  #waiters = new Set<() => void>();
  readonly #decoder = new TextDecoder();

  push(bytes: Uint8Array): void {
    const text = this.#partial + this.#decoder.decode(bytes, { stream: true });
    const parts = text.split("\n");
    this.#partial = parts.pop()!;
    for (const line of parts) this.all.push(line.endsWith("\r") ? line.slice(0, -1) : line);
    this.#wake();
  }

  end(): void {
    if (this.#partial) this.all.push(this.#partial);
    this.#partial = "";
    this.#ended = true;
    this.#wake();
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Lines not yet consumed by until(). */
  get unread(): string[] {
    return this.all.slice(this.#cursor);
  }

  /** Waits for the next line matching re (skipping others) and returns its match. */
  async until(re: RegExp, ms = DEFAULT_WAIT_MS): Promise<RegExpMatchArray> {
    const deadline = Date.now() + ms;
    for (;;) {
      while (this.#cursor < this.all.length) {
        const match = this.all[this.#cursor++]!.match(re);
        if (match) return match;
      }
      if (this.#ended) throw new Error(`stream ended without a line matching ${re}; last lines:\n${this.all.slice(-10).join("\n")}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no line matching ${re} within ${ms} ms; last lines:\n${this.all.slice(-10).join("\n")}`);
      await this.#wait(left);
    }
  }

  /** Waits until the stream ends. */
  async untilEnd(ms = DEFAULT_WAIT_MS): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.#ended) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`stream still open after ${ms} ms; last lines:\n${this.all.slice(-10).join("\n")}`);
      await this.#wait(left);
    }
  }

  #wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#waiters.add(done);
    });
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}

/** Feeds a stream into lines, and ends them when the stream ends. */
export async function pump(stream: ReadableStream<Uint8Array>, lines: Lines): Promise<void> {
  try {
    for await (const chunk of stream) lines.push(chunk);
  } finally {
    lines.end();
  }
}

export interface Running {
  proc: Subprocess<"pipe" | "ignore", "pipe", "pipe">;
  stdout: Lines;
  stderr: Lines;
  /** Resolves with the exit code. */
  exited: Promise<number>;
  kill(signal?: NodeJS.Signals): Promise<number>;
  [Symbol.asyncDispose](): Promise<void>;
}

// A test that times out skips its cleanup: whatever is still running goes when the test process does.
const spawned = new Set<Subprocess>();
process.on("exit", () => {
  for (const proc of spawned) proc.kill("SIGKILL");
});

/** Runs dist/chat with args; stdin is a pipe unless given. */
export function run(args: string[], options: { env?: Record<string, string>; stdin?: "pipe" | "ignore"; cwd?: string } = {}): Running {
  const proc = Bun.spawn([CHAT, ...args], {
    cwd: options.cwd,
    stdin: options.stdin ?? "pipe",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NO_COLOR: "1", ...options.env },
  });
  spawned.add(proc);
  void proc.exited.then(() => spawned.delete(proc));
  const stdout = new Lines();
  const stderr = new Lines();
  const pumps = Promise.all([pump(proc.stdout, stdout), pump(proc.stderr, stderr)]);
  const exited = proc.exited.then(async (code) => {
    await pumps;
    return code;
  });
  const kill = async (signal: NodeJS.Signals = "SIGTERM") => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    return exited;
  };
  return {
    proc,
    stdout,
    stderr,
    exited,
    kill,
    async [Symbol.asyncDispose]() {
      const timer = setTimeout(() => proc.kill("SIGKILL"), 3000);
      await kill();
      clearTimeout(timer);
    },
  };
}

export interface Server extends Running {
  port: number;
  /** Reads a number from /proc/PID/status (Linux): VmRSS, VmHWM, in KiB. */
  memory(field?: "VmRSS" | "VmHWM"): Promise<number>;
}

/** `chat serve --host 127.0.0.1 --port 0 ...args`, once it logs `listening on HOST:PORT`. */
export async function serve(args: string[] = [], env: Record<string, string> = {}, cwd?: string): Promise<Server> {
  const running = run(["serve", "--host", "127.0.0.1", "--port", "0", ...args], { env, stdin: "ignore", cwd });
  try {
    const [, port] = await running.stderr.until(/listening on \S+:(\d+)$/, 10_000);
    return {
      ...running,
      port: Number(port),
      memory: async (field = "VmRSS") => {
        const status = await Bun.file(`/proc/${running.proc.pid}/status`).text();
        return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)![1]);
      },
    };
  } catch (error) {
    await running.kill("SIGKILL");
    throw error;
  }
}

/** A raw TCP client, as nc would be: bytes out, lines in. */
export interface Peer {
  socket: Socket<undefined>;
  lines: Lines;
  /** The name the server gave it (after `await joined`). */
  name: string;
  until(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
  say(text: string): void;
  send(data: string | Uint8Array): void;
  /** Writes all of data, waiting for the socket to drain as often as needed; rejects if the connection closes first. */
  sendAll(data: string | Uint8Array): Promise<void>;
  /** Resolves when the server has closed the connection. */
  closed: Promise<void>;
  close(): void;
}

const peers = new Set<Peer>();

export async function dial(port: number, host = "127.0.0.1"): Promise<Peer> {
  const lines = new Lines();
  let closed!: () => void;
  const closedPromise = new Promise<void>((resolve) => (closed = resolve));
  let drained: (() => void) | undefined;
  const wake = () => {
    const waiter = drained;
    drained = undefined;
    waiter?.();
  };
  const socket = await Bun.connect({
    hostname: host,
    port,
    allowHalfOpen: true,
    socket: {
      binaryType: "uint8array",
      data: (_s, bytes) => lines.push(bytes),
      drain: wake,
      end: (s) => {
        lines.end();
        s.end(); // like nc: the server is done, so are we
      },
      close: () => {
        lines.end();
        closed();
        wake();
      },
      error: () => {},
    },
  });
  const sendAll = async (data: string | Uint8Array) => {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    let offset = 0;
    while (offset < bytes.length) {
      const n = socket.write(bytes.subarray(offset));
      if (n < 0 || lines.ended) throw new Error(`connection closed while writing (${offset}/${bytes.length} bytes written)`);
      offset += n;
      if (offset < bytes.length) await new Promise<void>((resolve) => (drained = resolve));
    }
  };
  // Writes here are small; a test that floods uses send() and checks the return itself.
  const peer: Peer = {
    socket,
    lines,
    name: "",
    until: (re, ms) => lines.until(re, ms),
    say: (text) => void socket.write(`${text}\n`),
    send: (data) => void socket.write(data),
    sendAll,
    closed: closedPromise,
    close: () => {
      peers.delete(peer);
      socket.terminate();
    },
  };
  peers.add(peer);
  return peer;
}

/** Dials and waits for the welcome; the peer's name is filled in. */
export async function join(port: number): Promise<Peer> {
  const peer = await dial(port);
  peer.name = (await peer.until(/^You are (.+)$/))[1]!;
  return peer;
}

/** Joins and takes a name unique to the test (label-PID-…, at most 32 characters). */
export async function joinAs(port: number, label: string): Promise<Peer> {
  const peer = await join(port);
  const name = unique(label).slice(0, 32);
  peer.say(`/nick ${name}`);
  await peer.until(new RegExp(`^${escape(peer.name)} is now known as ${escape(name)}$`));
  peer.name = name;
  return peer;
}

/** `chat connect 127.0.0.1:PORT ...args` fed input on stdin; resolves with what it printed and its exit code. */
export async function chatConnect(port: number, args: string[] = [], input = "", env: Record<string, string> = {}) {
  const client = run(["connect", `127.0.0.1:${port}`, ...args], { env });
  client.proc.stdin!.write(input);
  client.proc.stdin!.end();
  const code = await client.exited;
  return { code, stdout: client.stdout.all, stderr: client.stderr.all };
}

/** `ncat -l -k --chat` on a free port: a line server that is not chat. Stopped when disposed. */
export async function ncatChat(): Promise<{ port: number; [Symbol.asyncDispose](): Promise<void> }> {
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  // Its input stays open: at the end of it, ncat hangs up on everyone. With -v it says when it listens; a connection
  // that only checks it is up and resets would make it quit (getpeername fails).
  const proc = Bun.spawn(["ncat", "-v", "-l", "-k", "--chat", "127.0.0.1", String(port)], { stdin: "pipe", stdout: "ignore", stderr: "pipe" });
  spawned.add(proc);
  const log = new Lines();
  void pump(proc.stderr, log);
  const stop = async () => {
    proc.kill();
    await proc.exited;
  };
  try {
    await log.until(/^Ncat: Listening on /);
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, [Symbol.asyncDispose]: stop };
}

/** Closes every peer a test opened and did not close. */
export function closePeers(): void {
  for (const peer of peers) peer.close();
}

/** A text no other test sends: history replays old lines. */
let counter = 0;
export function unique(label = "line"): string {
  return `${label}-${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 8)}`;
}

export function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
