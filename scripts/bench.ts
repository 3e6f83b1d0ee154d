// `npm run bench`: builds dist/chat, runs it beside the Go references of ../shared/bench (and at 10 000 clients), measures the runtime's floor and `chat connect` beside nc, and writes bench/results/.
import { cpus, release, totalmem } from "node:os";
import { mkdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    scenarios: { type: "string" },
  },
});

const ROOT = resolve(import.meta.dir, "..");
// The repository is cloned beside shared/ both here and in CI.
const BENCH_DIR = resolve(process.env.CHAT_BENCH_DIR ?? `${ROOT}/../shared/bench`);
const RUN = `${BENCH_DIR}/run.sh`;
const RESULTS = `${ROOT}/bench/results`;
/** The server as the harness runs it: the limits meant for people (flood control, per-IP cap, history) off. */
const SERVE = "./dist/chat serve --port {port} --rate 0 --max-per-ip 0 --history 0";
/** At 10 000 clients the sender is the 10 001st, one past the default --max-clients: that limit is off too. */
const SERVE_10K = `${SERVE} --max-clients 0`;
/** The least a compiled Bun program can do and pass conns: how low memory can go on this runtime. */
const FLOOR = "./dist/floor --port {port}";

if (!(await Bun.file(RUN).exists())) {
  console.error(`bench: no ${RUN} (set CHAT_BENCH_DIR to the folder of run.sh)`);
  process.exit(2);
}
mkdirSync(RESULTS, { recursive: true });

run([process.execPath, "scripts/build.ts"]);
// The runtime's floor, compiled by the same script with the same flags (see scripts/floor-server.ts).
run([process.execPath, "scripts/build.ts", "--entry", "scripts/floor-server.ts", "--outfile", "dist/floor"]);

const sections: string[] = [];
const started = new Date();
if (values.quick) {
  const table = harness("quick", ["--quick", ...scenarios(), "tuned", "seed", `chat=cmd:${SERVE}`]);
  sections.push(section("Beside the Go references (--quick)", "quick", table));
} else {
  const table = harness("bench", [...scenarios(), "tuned", "seed", `chat=cmd:${SERVE}`]);
  sections.push(section("Beside the Go references", "bench", table));
  const table10k = harness("conns-10000", ["--scenarios", "conns", "--loadgen", "-conns=10000", "tuned", "seed", `chat=cmd:${SERVE_10K}`]);
  sections.push(section("10 000 clients", "conns-10000", table10k));
  const floor = harness("floor", ["--scenarios", "conns", `floor=cmd:${FLOOR}`]);
  sections.push(section("The floor: a Bun program that only greets and relays, 5000 clients", "floor", floor));
  const pipe = run([process.execPath, "scripts/pipe-bench.ts", "--out", `${RESULTS}/pipe.json`]);
  sections.push(`## The client: 1 000 000 lines from a file\n\nCommand: \`bun scripts/pipe-bench.ts\`\n\n${pipe.trim()}\n`);
}

const name = values.quick ? "quick" : "latest";
await Bun.write(`${RESULTS}/${name}.md`, `${header()}\n${sections.join("\n")}`);
console.log(`\nbench: wrote bench/results/${name}.md`);

function scenarios(): string[] {
  return values.scenarios ? ["--scenarios", values.scenarios] : [];
}

/** Runs run.sh with args (JSON to bench/results/NAME.json) and returns the table it prints. */
function harness(name: string, args: string[]): string {
  const out = run(["bash", RUN, "--out", `${RESULTS}/${name}.json`, ...args]);
  return out
    .split("\n")
    .filter((line) => !line.startsWith("results: "))
    .join("\n")
    .trim();
}

function section(title: string, name: string, table: string): string {
  return `## ${title}\n\nAll figures: \`bench/results/${name}.json\`\n\n${table}\n`;
}

/** Runs a command from the repository root, its stderr to ours; returns its stdout (also echoed). */
function run(argv: string[]): string {
  const proc = Bun.spawnSync(argv, { cwd: ROOT, stdout: "pipe", stderr: "inherit" });
  const out = proc.stdout.toString();
  process.stdout.write(out);
  if (proc.exitCode !== 0) {
    console.error(`bench: ${argv.join(" ")} failed (exit ${proc.exitCode})`);
    process.exit(1);
  }
  return out;
}

function header(): string {
  const model = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? cpus()[0]?.model ?? "unknown CPU";
  const commit = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], { cwd: ROOT }).stdout.toString().trim();
  const dirty = Bun.spawnSync(["git", "status", "--porcelain", "--", ".", ":!bench/results"], { cwd: ROOT }).stdout.toString().trim() ? " (with changes)" : "";
  return [
    `# chat bench, ${started.toISOString().replace(/\.\d+Z$/, "Z")}`,
    "",
    `- Command: \`npm run bench${values.quick ? " -- --quick" : ""}\` at commit ${commit}${dirty}`,
    `- Machine: ${cpus().length} cores (${model}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB memory, Linux ${release()}, Bun ${Bun.version}`,
    `- Harness: \`${RUN.replace(`${resolve(ROOT, "..")}/`, "../")}\`; chat runs as \`${SERVE}\``,
    "- Columns: one per target, then each target's figure divided by tuned's (the first). Compare within one run: the machine is shared and drifts (see the CPU calibration rows).",
    "",
  ].join("\n");
}
