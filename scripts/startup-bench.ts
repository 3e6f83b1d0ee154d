// `npm run bench:startup`: how long `chat --version` and `chat serve` (until it logs `listening on`) take to start,
// the compiled dist/chat against `bun cmd/chat.ts`. Median and 90th percentile of --runs runs, after --warmup runs.
import { join } from "node:path";
import { parseArgs } from "node:util";

const ROOT = join(import.meta.dir, "..");
const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "30" },
    warmup: { type: "string", default: "3" },
    binary: { type: "string", default: join(ROOT, "dist/chat") },
  },
});
const runs = Number(values.runs);
const warmup = Number(values.warmup);

// NODE_ENV=test would hide the `listening on` line; the compiled binary has production baked in, so match it.
const env = { ...process.env, NODE_ENV: "production", NO_COLOR: "1" };

async function timeVersion(command: string[]): Promise<number> {
  const started = performance.now();
  const proc = Bun.spawn([...command, "--version"], { cwd: ROOT, env, stdout: "ignore", stderr: "ignore" });
  if ((await proc.exited) !== 0) throw new Error(`${command.join(" ")} --version failed`);
  return performance.now() - started;
}

/** Spawn to the `listening on HOST:PORT` line on stderr; the server is stopped before the next run. */
async function timeListening(command: string[]): Promise<number> {
  const started = performance.now();
  const proc = Bun.spawn([...command, "serve", "--host", "127.0.0.1", "--port", "0"], { cwd: ROOT, env, stdout: "ignore", stderr: "pipe" });
  const decoder = new TextDecoder();
  let seen = "";
  let elapsed: number | undefined;
  for await (const chunk of proc.stderr) {
    seen += decoder.decode(chunk, { stream: true });
    if (/listening on \S+:\d+/.test(seen)) {
      elapsed = performance.now() - started;
      break;
    }
  }
  proc.kill("SIGTERM");
  await proc.exited;
  if (elapsed === undefined) throw new Error(`${command.join(" ")} serve never said "listening on":\n${seen}`);
  return elapsed;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function measure(label: string, once: () => Promise<number>): Promise<string> {
  for (let i = 0; i < warmup; i++) await once();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await once());
  times.sort((a, b) => a - b);
  const ms = (t: number) => `${t.toFixed(1)} ms`;
  return `| ${label} | ${ms(percentile(times, 50))} | ${ms(percentile(times, 90))} | ${ms(times[0]!)} |`;
}

const compiled = [values.binary!];
const source = [process.execPath, "cmd/chat.ts"];
console.log(`${runs} runs each after ${warmup} warm-up runs; Bun ${Bun.version}, ${process.platform}-${process.arch}\n`);
console.log("| what | median | p90 | fastest |");
console.log("|---|---|---|---|");
console.log(await measure("`dist/chat --version`", () => timeVersion(compiled)));
console.log(await measure("`bun cmd/chat.ts --version`", () => timeVersion(source)));
console.log(await measure("`dist/chat serve` to `listening on`", () => timeListening(compiled)));
console.log(await measure("`bun cmd/chat.ts serve` to `listening on`", () => timeListening(source)));
