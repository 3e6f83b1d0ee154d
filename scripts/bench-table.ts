// The figures of a bench run as a markdown table: one row per figure, one column per server, then each server's figure divided by the first's.
import type { Result } from "./bench-servers.ts";

/** One row: how to read the figure from a result, its decimals, and whether it is a yes/no. */
interface Row {
  scenario: string;
  name: string;
  read: (r: Result) => number | boolean | undefined;
  digits: number;
}

function at(r: Result, path: string): unknown {
  let value: unknown = r;
  for (const key of path.split(".")) value = (value as Record<string, unknown> | undefined)?.[key];
  return value;
}
const num = (path: string) => (r: Result) => {
  const value = at(r, path);
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
};
const yes = (path: string) => (r: Result) => {
  const value = at(r, path);
  return typeof value === "boolean" ? value : undefined;
};

/** The server's CPU per delivered line, in µs. */
export function cpuPerDelivery(r: Result): number | undefined {
  const cpu = num("server.cpu_s")(r);
  const delivered = num("delivered")(r);
  return cpu !== undefined && delivered ? (cpu * 1e6) / delivered : undefined;
}
/** (peak − before the first client) / connections, in KiB, of the server's memory as read at path. */
function perConnection(peakPath: string, beforePath: string): (r: Result) => number | undefined {
  return (r) => {
    const peak = num(peakPath)(r);
    const before = num(beforePath)(r);
    const connected = num("connected")(r);
    return peak !== undefined && before !== undefined && connected ? ((peak - before) * 1024) / connected : undefined;
  };
}
/** Of the whole RSS: what the program holds per person, without the runtime's fixed cost. */
export const memoryPerConnection = perConnection("server.peak_rss_mib", "server.rss_before_mib");
/**
 * Of the private memory (RssAnon) alone: without the pages of the executable that a storm touches for
 * the first time (a runtime's compilers and collector), which the kernel shares and which the whole
 * RSS counts as if each connection had brought some.
 */
export const privateMemoryPerConnection = perConnection("server.private_peak_mib", "server.private_before_mib");
/** How long the arrival storm lasts: connecting, then until the last arrival line (never quiet: undefined). */
export function stormSeconds(r: Result): number | undefined {
  const connect = num("connect_ms")(r);
  const quiet = num("settle_s")(r);
  return connect !== undefined && quiet !== undefined ? connect / 1000 + quiet : undefined;
}

const server = (scenario: string): Row[] => [
  { scenario, name: "server RSS before MiB", read: num("server.rss_before_mib"), digits: 1 },
  { scenario, name: "server peak RSS MiB", read: num("server.peak_rss_mib"), digits: 1 },
  // RssAnon: RSS without the pages of the executable (a Bun binary's code, shared and droppable; a Go server has few).
  { scenario, name: "server peak private (RssAnon) MiB", read: num("server.private_peak_mib"), digits: 1 },
  // RssFile: those pages, at their highest (sampled, so not always at the same moment as the peak above).
  { scenario, name: "server peak executable pages (RssFile) MiB", read: num("server.code_peak_mib"), digits: 1 },
  { scenario, name: "server CPU s", read: num("server.cpu_s"), digits: 2 },
  { scenario, name: "CPU calibration ms", read: num("calib_ms"), digits: 1 },
];

export const ROWS: Row[] = [
  { scenario: "fanout", name: "clients connected", read: num("connected"), digits: 0 },
  { scenario: "fanout", name: "clients that get broadcasts", read: num("ready_clients"), digits: 0 },
  { scenario: "fanout", name: "connect all, ms", read: num("connect_ms"), digits: 1 },
  { scenario: "fanout", name: "sent lines/s", read: num("sent_per_s"), digits: 0 },
  { scenario: "fanout", name: "delivered lines/s", read: num("delivered_per_s"), digits: 0 },
  { scenario: "fanout", name: "loss %", read: num("loss_pct"), digits: 2 },
  { scenario: "fanout", name: "latency p50 ms", read: num("latency_ms.p50"), digits: 2 },
  { scenario: "fanout", name: "latency p90 ms", read: num("latency_ms.p90"), digits: 2 },
  { scenario: "fanout", name: "latency p99 ms", read: num("latency_ms.p99"), digits: 2 },
  { scenario: "fanout", name: "latency max ms", read: num("latency_ms.max"), digits: 1 },
  { scenario: "fanout", name: "longest stall s", read: num("max_stall_s"), digits: 1 },
  { scenario: "fanout", name: "reorders", read: num("reorders"), digits: 0 },
  { scenario: "fanout", name: "machine busy %", read: num("machine_busy_pct"), digits: 0 },
  ...server("fanout"),
  { scenario: "flood", name: "sent lines/s", read: num("sent_per_s"), digits: 0 },
  { scenario: "flood", name: "delivered lines/s", read: num("delivered_per_s"), digits: 0 },
  { scenario: "flood", name: "loss % (after grace)", read: num("loss_pct"), digits: 2 },
  { scenario: "flood", name: "latency p50 ms", read: num("latency_ms.p50"), digits: 1 },
  { scenario: "flood", name: "latency p99 ms", read: num("latency_ms.p99"), digits: 1 },
  { scenario: "flood", name: "latency max ms", read: num("latency_ms.max"), digits: 1 },
  { scenario: "flood", name: "clients disconnected", read: num("disconnected"), digits: 0 },
  { scenario: "flood", name: "reorders", read: num("reorders"), digits: 0 },
  { scenario: "flood", name: "corrupt lines", read: num("corrupt"), digits: 0 },
  { scenario: "flood", name: "server CPU us/delivery", read: cpuPerDelivery, digits: 3 },
  ...server("flood"),
  { scenario: "conns", name: "connected", read: num("connected"), digits: 0 },
  { scenario: "conns", name: "connect failed", read: num("connect_failed"), digits: 0 },
  { scenario: "conns", name: "all connected, ms", read: num("connect_ms"), digits: 0 },
  { scenario: "conns", name: "connects/s", read: num("connect_per_s"), digits: 0 },
  { scenario: "conns", name: "connects dropped by the kernel (accept queue full)", read: num("listen_drops"), digits: 0 },
  { scenario: "conns", name: "open after hold", read: num("open_after_hold"), digits: 0 },
  { scenario: "conns", name: "open and got a line", read: num("greeted"), digits: 0 },
  { scenario: "conns", name: "all greeted, ms", read: num("greet_ms"), digits: 0 },
  { scenario: "conns", name: "other lines received", read: num("join_lines"), digits: 0 },
  { scenario: "conns", name: "quiet before fan-out", read: yes("settled"), digits: 0 },
  { scenario: "conns", name: "quiet after s", read: num("settle_s"), digits: 2 },
  { scenario: "conns", name: "storm over (connect + quiet) s", read: stormSeconds, digits: 2 },
  { scenario: "conns", name: "got all lines", read: num("got_all"), digits: 0 },
  { scenario: "conns", name: "fan-out complete ms", read: num("fanout_ms"), digits: 1 },
  { scenario: "conns", name: "latency p50 ms", read: num("latency_ms.p50"), digits: 1 },
  { scenario: "conns", name: "latency p99 ms", read: num("latency_ms.p99"), digits: 1 },
  { scenario: "conns", name: "memory per connection KiB", read: memoryPerConnection, digits: 2 },
  { scenario: "conns", name: "private memory per connection KiB", read: privateMemoryPerConnection, digits: 2 },
  ...server("conns"),
  { scenario: "slow", name: "delivered lines/s", read: num("delivered_per_s"), digits: 0 },
  { scenario: "slow", name: "loss %", read: num("loss_pct"), digits: 2 },
  { scenario: "slow", name: "latency p50 ms", read: num("latency_ms.p50"), digits: 2 },
  { scenario: "slow", name: "latency p99 ms", read: num("latency_ms.p99"), digits: 1 },
  { scenario: "slow", name: "latency max ms", read: num("latency_ms.max"), digits: 1 },
  { scenario: "slow", name: "longest stall s", read: num("max_stall_s"), digits: 1 },
  { scenario: "slow", name: "slow client dropped", read: yes("slow_client.disconnected_by_server"), digits: 0 },
  ...server("slow"),
];

export function formatNumber(value: number, digits: number): string {
  return Math.abs(value) >= 1000 ? value.toFixed(0) : value.toFixed(digits);
}

/** Markdown table of results for targets (in that order), with ratios to the first target. */
export function table(results: Result[], targets: string[]): string {
  const find = (target: string, scenario: string) => results.find((r) => r.target === target && r.scenario === scenario && !r.error);
  const scenarios = new Set(results.map((r) => r.scenario));
  const header = ["scenario", "metric", ...targets, ...targets.slice(1).map((t) => `${t}/${targets[0]}`)];
  const lines: string[][] = [];
  let last = "";
  for (const row of ROWS) {
    if (!scenarios.has(row.scenario)) continue;
    const values = targets.map((t) => {
      const r = find(t, row.scenario);
      return r ? row.read(r) : undefined;
    });
    const cells = values.map((v) => (v === undefined ? "-" : typeof v === "boolean" ? (v ? "yes" : "no") : formatNumber(v, row.digits)));
    const base = values[0];
    const ratios = values.slice(1).map((v) => (typeof v === "number" && typeof base === "number" && base !== 0 ? `${(v / base).toFixed(2)}x` : ""));
    lines.push([row.scenario === last ? "" : row.scenario, row.name, ...cells, ...ratios]);
    last = row.scenario;
  }
  const errors = results.filter((r) => r.error).map((r) => `- ${r.target} ${r.scenario}: ${r.error}`);
  return [...(errors.length ? ["Errors:", "", ...errors, ""] : []), markdown(header, lines, 2)].join("\n");
}

/** A markdown table, columns padded; columns from numericFrom on are right-aligned. */
export function markdown(header: string[], rows: string[][], numericFrom: number): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i >= numericFrom ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(" | ")} |`;
  const rule = `| ${widths.map((w, i) => (i >= numericFrom ? `${"-".repeat(w - 1)}:` : "-".repeat(w))).join(" | ")} |`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}
