// `npm run bench`: builds dist/chat, the Go references and the load generator of bench/, runs the scenarios beside the references
// (and at 10 000 clients, and the runtime's floor), measures `chat connect` beside nc, and writes bench/results/.
import { cpus, release, totalmem } from "node:os";
import { mkdirSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { buildBun, buildGo, CHAT, CHAT_CLUSTER, CHAT_WEB, FLOOR, logFolder, measure, ROOT, SEED, TUNED, WS_PEER, type Result, type Target } from "./bench-servers.ts";
import { table } from "./bench-table.ts";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    scenarios: { type: "string", default: "fanout,flood,conns,slow" },
    /** Only the WebSocket section: `npm run bench -- --web`. */
    web: { type: "boolean", default: false },
    /** Only the section of two servers through Redis: `npm run bench -- --cluster`. */
    cluster: { type: "boolean", default: false },
  },
});
const QUICK = values.quick;
const SCENARIOS = values.scenarios.split(",").map((s) => s.trim());
const RESULTS = `${ROOT}/bench/results`;
mkdirSync(RESULTS, { recursive: true });

buildGo();
buildBun();
const logs = logFolder();
console.error(`bench: server logs in ${logs}`);
const started = new Date();
const sections: string[] = [];
const references = [TUNED, SEED, CHAT];

const ONLY = values.web || values.cluster;
if (!ONLY)
  sections.push(await section(QUICK ? "Beside the Go references (--quick)" : "Beside the Go references", QUICK ? "quick" : "bench", references, SCENARIOS));
// One chat on two servers through Redis (redis-server and both servers started fresh), beside one server alone, in the same run.
if (!values.web)
  sections.push(await section("Two servers through Redis, beside one", QUICK ? "cluster-quick" : "cluster", [CHAT, CHAT_CLUSTER], ["fanout", "flood"]));
// 100 browsers, 2000 lines a second: chat over TCP, the same server's WebSocket (--web), and Node's ws broadcasting.
if (!values.cluster)
  sections.push(await section("WebSocket fan-out: chat over TCP, chat --web, and Node's ws", QUICK ? "web-quick" : "web", [CHAT, CHAT_WEB, WS_PEER], ["fanout"]));
if (!QUICK && !ONLY) {
  sections.push(await section("10 000 clients", "conns-10000", references, ["conns"], ["-conns", "10000"]));
  sections.push(await section("The floor: a Bun program that only greets and relays, 5000 clients", "floor", [FLOOR, CHAT], ["conns"]));
  const pipe = Bun.spawnSync([process.execPath, "scripts/pipe-bench.ts", "--out", `${RESULTS}/pipe.json`], { cwd: ROOT, stdout: "pipe", stderr: "inherit" });
  const table = pipe.stdout.toString().trim();
  // A failed run (a line lost, out of order, a client that did not exit 0) is reported with its table, not thrown away with the rest.
  const failed = pipe.exitCode === 0 ? "" : `\n\n**Failed** (exit ${pipe.exitCode}): not every line arrived in order, or a client did not exit 0.`;
  if (failed) console.error(`bench: scripts/pipe-bench.ts failed (exit ${pipe.exitCode}):\n${table}`);
  sections.push(`## The client: 1 000 000 lines from a file\n\nCommand: \`bun scripts/pipe-bench.ts\`\n\n${table}${failed}\n`);
}

const name = values.web ? "web" : values.cluster ? (QUICK ? "cluster-quick" : "cluster") : QUICK ? "quick" : "latest";
await Bun.write(`${RESULTS}/${name}.md`, `${header()}\n${sections.join("\n")}`);
console.log(`\nbench: wrote bench/results/${name}.md`);

/**
 * Runs scenarios scenario by scenario, every target in turn on a fresh server, so the figures compared in one row are taken
 * close together in time; writes bench/results/NAME.json and returns the section of the report.
 */
async function section(title: string, name: string, targets: Target[], scenarios: string[], args: string[] = []): Promise<string> {
  const results: Result[] = [];
  for (const scenario of scenarios) {
    for (const target of targets) {
      results.push(await measure(target, scenario, { args: [...(QUICK ? ["-quick"] : []), ...args], logs, tag: name }));
      await Bun.sleep(500); // the ports and memory of the last server are given back
    }
  }
  const names = targets.map((t) => t.name);
  await Bun.write(`${RESULTS}/${name}.json`, `${JSON.stringify({ generated: new Date().toISOString(), machine: machine(), quick: QUICK, targets: names, results }, null, 2)}\n`);
  const body = table(results, names);
  console.log(`\n${body}\n`);
  return `## ${title}\n\nAll figures: \`bench/results/${name}.json\`${args.length ? ` (load generator: \`${args.join(" ")}\`)` : ""}\n\n${body}\n`;
}

function machine(): Record<string, unknown> {
  const model = /^model name\s*:\s*(.+)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? cpus()[0]?.model ?? "unknown CPU";
  return { cores: cpus().length, model, memory_gib: Number((totalmem() / 2 ** 30).toFixed(1)), kernel: release(), bun: Bun.version };
}

function header(): string {
  const m = machine();
  const commit = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], { cwd: ROOT }).stdout.toString().trim();
  const dirty = Bun.spawnSync(["git", "status", "--porcelain", "--", ".", ":!bench/results"], { cwd: ROOT }).stdout.toString().trim() ? " (with changes)" : "";
  return [
    `# chat bench, ${started.toISOString().replace(/\.\d+Z$/, "Z")}`,
    "",
    `- Command: \`npm run bench${QUICK || ONLY ? ` --${QUICK ? " --quick" : ""}${values.web ? " --web" : ""}${values.cluster ? " --cluster" : ""}` : ""}\` at commit ${commit}${dirty}`,
    `- Machine: ${m.cores} cores (${m.model}), ${m.memory_gib} GiB memory, Linux ${m.kernel}, Bun ${m.bun}`,
    `- Load generator and references: \`bench/\` (load, seed, tuned); chat runs as \`${CHAT.argv.join(" ")}\``,
    "- Columns: one per target, then each target's figure divided by the first's. Compare within one run: the machine is shared and drifts (see the CPU calibration rows).",
    "",
  ].join("\n");
}
