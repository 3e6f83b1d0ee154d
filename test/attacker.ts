// The hostile side of test/hostile.test.ts, in a process of its own so that its work does not slow the well-behaved
// clients: bun test/attacker.ts PORT MILLISECONDS [KIND,KIND...]. Prints what it did as one JSON object on stdout.
import type { Socket } from "bun";

const [portText, msText, only] = process.argv.slice(2);
const port = Number(portText);
const deadline = Date.now() + Number(msText);

const stats = { connections: 0, failedConnects: 0, bytesThrown: 0, maxOpen: 0 };
let open = 0;

/** A seeded PRNG: the same attack every run. */
let seed = 0x5eed;
const random = () => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const randomBytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(random() * 256));

interface Attacker {
  socket: Socket<undefined>;
  closed: Promise<void>;
  /** Writes all of bytes, waiting for drain; false if the server closed first. */
  write(bytes: Uint8Array | string): Promise<boolean>;
}

async function connect(read = true): Promise<Attacker | undefined> {
  let drained: (() => void) | undefined;
  let isClosed = false;
  let closed!: () => void;
  const closedPromise = new Promise<void>((resolve) => (closed = resolve));
  try {
    const socket = await Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        binaryType: "uint8array",
        data: () => {},
        drain: () => drained?.(),
        close: () => {
          isClosed = true;
          open--;
          drained?.();
          closed();
        },
        error: () => {},
        connectError: () => {},
      },
    });
    stats.connections++;
    open++;
    stats.maxOpen = Math.max(stats.maxOpen, open);
    if (!read) socket.pause(); // never reads: the server's writes pile up in the kernel, then in its outbox
    const write = async (data: Uint8Array | string) => {
      const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
      for (let offset = 0; offset < bytes.length; ) {
        if (isClosed) return false;
        const n = socket.write(bytes.subarray(offset));
        if (n < 0) return false;
        offset += n;
        stats.bytesThrown += n;
        if (offset < bytes.length) await Promise.race([new Promise<void>((r) => (drained = r)), Bun.sleep(200)]);
      }
      return true;
    };
    return { socket, closed: closedPromise, write };
  } catch {
    stats.failedConnects++;
    return undefined;
  }
}

const running = () => Date.now() < deadline;

/**
 * Each kind of attacker is a loop: one connection at a time, until the deadline, at most one every CYCLE_MS. Without
 * that, 30 loops of connect-and-vanish alone are a connection flood that saturates any one process: that is a job for
 * a firewall's rate limit, in front of the server (see docs/security.md).
 */
const CYCLE_MS = 100;
const kinds: Record<string, [count: number, run: () => Promise<void>]> = {
  // Connect and vanish: a reset, or a FIN, before saying anything.
  vanish: [30, async () => {
    const a = await connect();
    if (!a) return;
    if (random() < 0.5) a.socket.terminate();
    else a.socket.end();
    await a.closed;
  }],
  // Random bytes, newlines included, then a reset.
  garbage: [10, async () => {
    const a = await connect();
    if (!a) return;
    for (let i = 0; i < 8 && running(); i++) {
      await a.write(randomBytes(512 + Math.floor(random() * 8192)));
      await Bun.sleep(100);
    }
    a.socket.terminate();
  }],
  // Lines far over --max-line, with and without an end.
  overlong: [10, async () => {
    const a = await connect();
    if (!a) return;
    await a.write(new Uint8Array(256 * 1024).fill(0x41));
    await a.write("\nshort after long\n");
    await a.write(new Uint8Array(64 * 1024).fill(0x42));
    a.socket.terminate();
  }],
  // Lines made of escape sequences, control characters and bidi overrides (garbage above covers broken UTF-8).
  escapes: [10, async () => {
    const a = await connect();
    if (!a) return;
    const soup = ["\x1b[2J\x1b[H", "\x1b]0;pwned\x07", "\x1b[31m", "\u202e", "\x00\x07\x08", "\x9b6n", "\xff\xfe", "\u2028", "/nick \x1b[1mboss", "/me \x1b[5m"];
    let lines = "";
    for (let i = 0; i < 10; i++) lines += `${soup[i % soup.length]}evil ${i}${soup[(i * 7) % soup.length]}\n`;
    await a.write(lines);
    await Bun.sleep(200);
    a.socket.end();
    await a.closed;
  }],
  // Floods: many lines at once, over and over; the rate limit drops most of them.
  flood: [20, async () => {
    const a = await connect(false);
    if (!a) return;
    const batch = "flood flood flood flood flood flood flood flood\n".repeat(500);
    for (let i = 0; i < 10 && running(); i++) {
      if (!(await a.write(batch))) break;
      await Bun.sleep(300);
    }
    a.socket.terminate();
  }],
  // Slowloris: one byte at a time, never finishing a line for long.
  slowloris: [20, async () => {
    const a = await connect(false);
    if (!a) return;
    for (let i = 0; i < 40 && running(); i++) {
      if (!(await a.write(i % 39 === 38 ? "\n" : "s"))) break;
      await Bun.sleep(50);
    }
    a.socket.terminate();
  }],
};

/** Half-open: a partial line, then silence, never reading, held to the end; replaced if the server drops it. */
async function halfOpen(): Promise<void> {
  while (running()) {
    const a = await connect(false);
    if (!a) continue;
    await a.write("half a line and then nothing");
    if (random() < 0.5) a.socket.shutdown(); // and some send their FIN without ever closing
    await Promise.race([a.closed, Bun.sleep(deadline - Date.now())]);
    a.socket.terminate();
  }
}

const loops: Promise<void>[] = [];
const chosen = (name: string) => !only || only.split(",").includes(name);
for (const [name, [count, run]] of Object.entries(kinds))
  for (let i = 0; i < (chosen(name) ? count : 0); i++)
    loops.push(
      (async () => {
        await Bun.sleep(Math.floor(random() * 500)); // not all at the same instant
        while (running()) {
          const started = Date.now();
          await run();
          await Bun.sleep(Math.max(0, CYCLE_MS - (Date.now() - started)));
        }
      })(),
    );
for (let i = 0; i < (chosen("halfopen") ? 150 : 0); i++) loops.push(halfOpen());
await Promise.all(loops);
process.stdout.write(`${JSON.stringify(stats)}\n`);
process.exit(0);
