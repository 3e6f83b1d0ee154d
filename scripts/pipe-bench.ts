// `bun scripts/pipe-bench.ts`: how fast `chat connect` pipes a file of lines into a room, beside `nc` doing the same through the same server.
import { parseArgs } from "node:util";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const { values } = parseArgs({
  options: {
    lines: { type: "string", default: "1000000" },
    out: { type: "string" },
  },
});
const LINES = Number(values.lines);
const ROOT = `${import.meta.dir}/..`;
const CHAT = `${ROOT}/dist/chat`;
/** Every client must be done well within this; a stuck run fails instead of hanging. */
const DEADLINE_MS = 300_000;

interface Result {
  client: string;
  command: string;
  server: string;
  lines: number;
  delivered: number;
  inOrder: boolean;
  /** The counting member was dropped by the server (too slow a reader): the count stops there, whatever the client did. */
  memberDropped: boolean;
  exitCode: number | null;
  /** From start until the last line reached another member of the room. */
  deliveredS: number;
  /** From start until the client exited. */
  exitS: number;
  linesPerS: number;
}

/** The input: LINES numbered lines, about 60 bytes each. */
async function writeInput(dir: string): Promise<string> {
  const path = join(dir, "lines.txt");
  const writer = Bun.file(path).writer();
  for (let i = 0; i < LINES; i++) writer.write(`pipe-bench ${String(i).padStart(7, "0")} the quick brown fox jumps over the lazy dog\n`);
  await writer.end();
  return path;
}

/** The bench's server: chat serve without the limits meant for people (as in ../shared/bench). */
const SERVE = ["--rate", "0", "--max-per-ip", "0", "--history", "0"];
/**
 * nc reads the room's echo of its own lines only between its writes, and a server with the
 * default 1 MiB queue cap drops it as too slow long before its input ends: for nc the cap is raised.
 */
const SERVE_FOR_NC = [...SERVE, "--max-queue", "1GiB"];

/** chat serve on a free port; resolves with its port once it listens. */
async function startServer(options: string[]): Promise<{ port: number; proc: Bun.Subprocess }> {
  const proc = Bun.spawn([CHAT, "serve", "--host", "127.0.0.1", "--port", "0", ...options], {
    stdout: "ignore",
    stderr: "pipe",
  });
  const decoder = new TextDecoder();
  let seen = "";
  for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) {
    seen += decoder.decode(chunk, { stream: true });
    const match = seen.match(/listening on \S+:(\d+)/);
    if (match) return { port: Number(match[1]), proc };
  }
  throw new Error(`chat serve did not start: ${seen}`);
}

interface Member {
  /** Resolves once every line has arrived. */
  done: Promise<void>;
  count: () => number;
  inOrder: () => boolean;
  /** performance.now() of the last line received. */
  lastLine: () => number;
  close: () => void;
  /** The server closed the connection first (a reader more than --max-queue behind is dropped as too slow). */
  dropped: () => boolean;
}

/** A member of the room that counts the numbered lines it receives and checks their order. */
async function listen(port: number): Promise<Member> {
  let count = 0;
  let lastLine = performance.now();
  let next = 0;
  let inOrder = true;
  let partial = "";
  let finished!: () => void;
  const done = new Promise<void>((resolve) => (finished = resolve));
  let greeted!: () => void;
  const welcome = new Promise<void>((resolve) => (greeted = resolve));
  const decoder = new TextDecoder();
  let closing = false;
  let dropped = false;
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_socket, bytes) {
        const lines = (partial + decoder.decode(bytes, { stream: true })).split("\n");
        partial = lines.pop()!;
        for (const line of lines) {
          if (line.startsWith("You are ")) greeted();
          const at = line.indexOf(": pipe-bench ");
          if (at < 0) continue;
          const n = Number(line.slice(at + 13, at + 20));
          if (n !== next) inOrder = false;
          next = n + 1;
          lastLine = performance.now();
          if (++count === LINES) finished();
        }
      },
      close() {
        if (!closing) dropped = true;
      },
    },
  });
  await welcome;
  const close = () => {
    closing = true;
    socket.terminate();
  };
  return { done, count: () => count, inOrder: () => inOrder, lastLine: () => lastLine, close, dropped: () => dropped };
}

async function measure(client: string, argv: (port: number) => string[], serve: string[], input: string): Promise<Result> {
  const { port, proc: server } = await startServer(serve);
  try {
    const member = await listen(port);
    const start = performance.now();
    const proc = Bun.spawn(argv(port), { stdin: Bun.file(input), stdout: "ignore", stderr: "inherit" });
    let deliveredAt = 0;
    void member.done.then(() => (deliveredAt = performance.now()));
    let timer: Timer | undefined;
    const timeout = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), DEADLINE_MS)));
    const exitAt = await Promise.race([proc.exited.then(() => performance.now()), timeout]);
    clearTimeout(timer);
    if (exitAt === "timeout") proc.kill();
    // After the client is gone, wait for the rest of its lines, or until none has come for 3 s.
    while (!deliveredAt && performance.now() - member.lastLine() < 3000) await Promise.race([member.done, Bun.sleep(100)]);
    member.close();
    const end = deliveredAt || member.lastLine();
    return {
      client,
      command: argv(port).join(" ").replace(String(port), "PORT").replace(CHAT, "dist/chat") + " < lines.txt",
      server: `dist/chat serve ${serve.join(" ")}`,
      lines: LINES,
      delivered: member.count(),
      inOrder: member.inOrder(),
      memberDropped: member.dropped(),
      exitCode: proc.exitCode,
      deliveredS: round((end - start) / 1000),
      exitS: exitAt === "timeout" ? NaN : round((exitAt - start) / 1000),
      linesPerS: Math.round(member.count() / ((end - start) / 1000)),
    };
  } finally {
    server.kill();
    await server.exited;
  }
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

const dir = mkdtempSync(join(tmpdir(), "chat-pipe-bench-"));
try {
  const input = await writeInput(dir);
  const results = [
    await measure("chat connect", (port) => [CHAT, "connect", `127.0.0.1:${port}`, "--name", "piper"], SERVE, input),
    await measure("nc", (port) => ["nc", "-N", "127.0.0.1", String(port)], SERVE_FOR_NC, input),
  ];
  const rows = [
    "| client | server options | lines delivered | in order | exit code | all delivered after s | exited after s | lines/s |",
    "| --- | --- | ---: | --- | ---: | ---: | ---: | ---: |",
    ...results.map(
      (r) =>
        `| ${r.client} | ${r.server.replace("dist/chat serve ", "")} | ${r.delivered}/${r.lines} | ${r.inOrder ? "yes" : "no"} | ${r.exitCode} | ${r.deliveredS} | ${r.exitS} | ${r.linesPerS} |`,
    ),
  ];
  const [chat, nc] = results;
  rows.push("", `chat connect / nc, lines/s: ${(chat!.linesPerS / nc!.linesPerS).toFixed(2)}x`);
  for (const r of results.filter((r) => r.memberDropped))
    rows.push("", `${r.client}: the member counting the lines was dropped by the server (too slow a reader) after ${r.delivered}: its count is not the client's.`);
  console.log(rows.join("\n"));
  if (values.out) await Bun.write(values.out, JSON.stringify({ generated: new Date().toISOString(), results }, null, 2) + "\n");
  const ok = results.every((r) => r.delivered === r.lines && r.inOrder && r.exitCode === 0);
  process.exitCode = ok ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
