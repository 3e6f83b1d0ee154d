// `npm run bench:agree`: runs bench/'s load generator and the shared harness's (../shared/bench, or CHAT_BENCH_DIR) against the
// same servers, alternately on fresh servers, and writes bench/results/agreement.md: whether the two measure the same figures within 10 %.
import { existsSync, mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { buildBun, buildGo, CHAT, findGo, logFolder, measure, OUT, ROOT, TUNED, type Result, type Target } from "./bench-servers.ts";
import { cpuPerDelivery, formatNumber, markdown, memoryPerConnection, stormSeconds } from "./bench-table.ts";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    rounds: { type: "string", default: "3" },
    scenarios: { type: "string", default: "fanout,flood,conns,slow" },
    /** Writes the report again from a saved agreement.json, without measuring. */
    from: { type: "string" },
  },
});
const ROUNDS = Number(values.rounds);
const SCENARIOS = values.scenarios.split(",");
const SHARED = resolve(process.env.CHAT_BENCH_DIR ?? `${ROOT}/../shared/bench`);
const TOLERANCE = 0.1;
if (!values.from && !existsSync(`${SHARED}/loadgen`)) {
  console.error(`bench:agree: no shared harness at ${SHARED} (set CHAT_BENCH_DIR to the folder of its run.sh)`);
  process.exit(2);
}

interface Figure {
  name: string;
  read: (r: Result) => number | boolean | undefined;
  digits: number;
}
const num = (key: string, inner?: string) => (r: Result) => {
  const outer = r[key] as unknown;
  const value = inner ? (outer as Record<string, unknown> | undefined)?.[inner] : outer;
  return typeof value === "number" ? value : typeof value === "boolean" ? value : undefined;
};
/** The figures the README and the issue's targets are stated in, scenario by scenario. */
const FIGURES: Record<string, Figure[]> = {
  fanout: [
    { name: "delivered lines/s", read: num("delivered_per_s"), digits: 0 },
    { name: "loss %", read: num("loss_pct"), digits: 2 },
    { name: "latency p50 ms", read: num("latency_ms", "p50"), digits: 2 },
    { name: "latency p99 ms", read: num("latency_ms", "p99"), digits: 2 },
    { name: "server CPU s", read: num("server", "cpu_s"), digits: 2 },
    { name: "server peak RSS MiB", read: num("server", "peak_rss_mib"), digits: 1 },
  ],
  flood: [
    { name: "delivered lines/s", read: num("delivered_per_s"), digits: 0 },
    { name: "loss %", read: num("loss_pct"), digits: 2 },
    { name: "server CPU us/delivery", read: cpuPerDelivery, digits: 3 },
    { name: "server peak RSS MiB", read: num("server", "peak_rss_mib"), digits: 1 },
  ],
  conns: [
    { name: "connected", read: num("connected"), digits: 0 },
    { name: "all connected, ms", read: num("connect_ms"), digits: 0 },
    { name: "quiet after s", read: num("settle_s"), digits: 2 },
    { name: "storm over (connect + quiet) s", read: stormSeconds, digits: 2 },
    { name: "got all lines", read: num("got_all"), digits: 0 },
    { name: "fan-out complete ms", read: num("fanout_ms"), digits: 1 },
    { name: "server peak RSS MiB", read: num("server", "peak_rss_mib"), digits: 1 },
    { name: "memory per connection KiB", read: memoryPerConnection, digits: 2 },
  ],
  slow: [
    { name: "delivered lines/s", read: num("delivered_per_s"), digits: 0 },
    { name: "loss %", read: num("loss_pct"), digits: 2 },
    { name: "longest stall s", read: num("max_stall_s"), digits: 1 },
    { name: "slow client dropped", read: num("slow_client", "disconnected_by_server"), digits: 0 },
    { name: "server peak RSS MiB", read: num("server", "peak_rss_mib"), digits: 1 },
  ],
};

const targets: Target[] = [TUNED, CHAT];
const generators = [
  { name: "bench/load", load: undefined },
  { name: "shared loadgen", load: `${OUT}/shared/loadgen` },
];
type Measured = { generator: string; round: number; result: Result };
const results: Measured[] = values.from ? ((await Bun.file(values.from).json()) as Measured[]) : await measureAll();
const rounds = new Set(results.map((x) => x.round)).size;

async function measureAll(): Promise<Measured[]> {
  const go = findGo();
  buildGo(go);
  buildGo(go, SHARED, `${OUT}/shared`, ["loadgen"]);
  buildBun();
  const logs = logFolder();
  const measured: Measured[] = [];
  const args = values.quick ? ["-quick"] : [];
  for (let round = 0; round < ROUNDS; round++) {
    for (const scenario of SCENARIOS) {
      for (const target of targets) {
        // The two generators take turns going first, so drift over time favours neither.
        const order = round % 2 === 0 ? generators : [...generators].reverse();
        for (const g of order) {
          const result = await measure(target, scenario, { load: g.load, args, logs, tag: `${g.load ? "shared" : "own"}-${round}` });
          measured.push({ generator: g.name, round, result });
          await Bun.sleep(500);
        }
      }
    }
  }
  return measured;
}

function median(xs: number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1]! + s[mid]!) / 2;
}

/** The figure's spread over the rounds, low–high. */
function spread(xs: number[], digits: number): string {
  if (xs.length === 0) return "-";
  return `${formatNumber(Math.min(...xs), digits)}–${formatNumber(Math.max(...xs), digits)}`;
}

const rows: string[][] = [];
const tally = { agree: 0, noise: 0, differ: 0 };
const scenarios = SCENARIOS.filter((scenario) => results.some((x) => x.result.scenario === scenario));
for (const scenario of scenarios) {
  for (const target of targets) {
    for (const figure of FIGURES[scenario] ?? []) {
      const of = (generator: string) =>
        results.filter((x) => x.generator === generator && x.result.scenario === scenario && x.result.target === target.name && !x.result.error).map((x) => figure.read(x.result));
      const ours = of(generators[0]!.name);
      const theirs = of(generators[1]!.name);
      let cells: string[];
      let verdict: string;
      if (ours.some((v) => typeof v === "boolean") || theirs.some((v) => typeof v === "boolean")) {
        const show = (vs: unknown[]) => vs.map((v) => (v === undefined ? "-" : v ? "yes" : "no")).join(" ");
        const same = ours.length > 0 && [...ours, ...theirs].every((v) => v === ours[0]);
        cells = [show(ours), show(theirs), "", "", ""];
        verdict = same ? "yes" : "no";
      } else {
        const xs = ours.filter((v): v is number => typeof v === "number");
        const ys = theirs.filter((v): v is number => typeof v === "number");
        const a = median(xs);
        const b = median(ys);
        const ratio = a !== undefined && b !== undefined && b !== 0 ? a / b : undefined;
        const same = a !== undefined && b !== undefined && (a === b || (ratio !== undefined && Math.abs(ratio - 1) <= TOLERANCE));
        // Where the rounds of one generator spread wider than the two generators differ, the machine's noise decides.
        const overlap = xs.length > 0 && ys.length > 0 && Math.min(...xs) <= Math.max(...ys) && Math.min(...ys) <= Math.max(...xs);
        cells = [
          a === undefined ? "-" : formatNumber(a, figure.digits),
          b === undefined ? "-" : formatNumber(b, figure.digits),
          ratio === undefined ? "" : `${ratio.toFixed(3)}x`,
          spread(xs, figure.digits),
          spread(ys, figure.digits),
        ];
        verdict = same ? "yes" : a === undefined && b === undefined ? "- (neither measured it)" : overlap ? "no: within the noise" : "no";
      }
      if (verdict === "yes") tally.agree++;
      else if (verdict === "no: within the noise") tally.noise++;
      else if (verdict === "no") tally.differ++;
      rows.push([scenario, target.name, figure.name, ...cells, verdict]);
    }
  }
}

const errors = results.filter((x) => x.result.error).map((x) => `- ${x.generator}, round ${x.round}, ${x.result.target} ${x.result.scenario}: ${x.result.error}`);
const report = [
  `# bench/load beside the shared harness's load generator, ${new Date(values.from ? Bun.file(values.from).lastModified : Date.now()).toISOString().replace(/\.\d+Z$/, "Z")}`,
  "",
  `- Command: \`npm run bench:agree --${values.quick ? " --quick" : ""} --rounds ${rounds}\` (shared harness: \`${SHARED.replace(`${resolve(ROOT, "..")}/`, "../")}\`)`,
  `- ${rounds} rounds; in each, every scenario and server is measured by both generators, each on a fresh server, taking turns to go first. Figures are the medians of the rounds, with their spread (lowest–highest) beside them.`,
  `- Agree: within ${TOLERANCE * 100} % of the shared generator's figure (or equal): ${tally.agree} figures. Not within 10 %, but each generator's own rounds spread wider than the two differ (the machine's noise, not the generator): ${tally.noise}. Not within 10 % and apart beyond the noise: ${tally.differ}.`,
  "",
  ...(errors.length ? ["Errors:", "", ...errors, ""] : []),
  markdown(["scenario", "server", "figure", "bench/load", "shared", "bench/load / shared", "bench/load rounds", "shared rounds", "agree"], rows, 3),
  "",
].join("\n");
mkdirSync(`${ROOT}/bench/results`, { recursive: true });
await Bun.write(`${ROOT}/bench/results/agreement.md`, report);
if (!values.from) await Bun.write(`${ROOT}/bench/results/agreement.json`, `${JSON.stringify(results, null, 2)}\n`);
console.log(report);
