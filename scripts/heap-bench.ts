// `bun [--smol] scripts/heap-bench.ts [--conns 5000] [--floor] [--skip-build]`: where a connection's bytes go. Runs the chat server (or the
// bare floor) in this process, lets bench/'s load generator bring a crowd, and once all are in the room compares JSC's heap
// (object counts by type, heap size) and the process's RSS with what they were before the first client.
import { heapStats } from "bun:jsc";
import { parseArgs } from "node:util";
import { ChatServer } from "../core/server/server.ts";
import { wordsFor } from "../core/wire/messages.ts";
import { buildGo, LOAD, ROOT } from "./bench-servers.ts";
import { listenFloor } from "./floor-server.ts";

const { values } = parseArgs({
  options: {
    conns: { type: "string", default: "5000" },
    floor: { type: "boolean", default: false },
    "skip-build": { type: "boolean", default: false },
  },
});
const CONNS = Number(values.conns);
if (!values["skip-build"]) buildGo(undefined, undefined, undefined, ["load"]);

let port: number;
let inRoom: () => number;
if (values.floor) {
  const floor = listenFloor(0);
  port = floor.port;
  inRoom = floor.size;
} else {
  const log = { error: console.error, warn: console.error, info: () => {}, debug: () => {} };
  const server = new ChatServer(
    {
      host: "127.0.0.1",
      port: 0,
      words: wordsFor("en"),
      anonymous: false,
      maxLine: 4096,
      maxQueue: 1 << 20,
      rate: 0,
      burst: 50,
      maxClients: 0,
      maxPerIp: 0,
      idleMs: 0,
      history: 0,
      motd: [],
      loginTimeoutMs: 30_000,
    },
    log,
  );
  server.listen();
  port = server.port;
  inRoom = () => server.hub.size;
}

interface Snapshot {
  heap: number;
  capacity: number;
  extra: number;
  objects: number;
  rss: number;
  arrayBuffers: number;
  types: Record<string, number>;
}
function snapshot(): Snapshot {
  Bun.gc(true);
  const stats = heapStats();
  const usage = process.memoryUsage();
  return { heap: stats.heapSize, capacity: stats.heapCapacity, extra: stats.extraMemorySize, objects: stats.objectCount, rss: usage.rss, arrayBuffers: usage.arrayBuffers, types: { ...stats.objectTypeCounts } };
}

const before = snapshot();
// The sender is one more client.
const load = Bun.spawn([LOAD, "-scenario", "conns", "-conns", String(CONNS), "-hold", "3s", "-settle", "10s", "-fanwait", "3s", "-addr", `127.0.0.1:${port}`, "-pid", String(process.pid), "-label", values.floor ? "floor" : "chat"], {
  cwd: ROOT,
  stdout: "pipe",
  stderr: "inherit",
});
// The storm's own peak: sampled without forcing a collection, so it shows what the collector lets pile up.
const peak = { heap: 0, capacity: 0, extra: 0, arrayBuffers: 0, rss: 0 };
const sampler = setInterval(() => {
  const stats = heapStats();
  const usage = process.memoryUsage();
  peak.heap = Math.max(peak.heap, stats.heapSize);
  peak.capacity = Math.max(peak.capacity, stats.heapCapacity);
  peak.extra = Math.max(peak.extra, stats.extraMemorySize);
  peak.arrayBuffers = Math.max(peak.arrayBuffers, usage.arrayBuffers);
  peak.rss = Math.max(peak.rss, usage.rss);
}, 50);
let during: Snapshot | undefined;
const deadline = Date.now() + 60_000;
while (Date.now() < deadline) {
  await Bun.sleep(100);
  if (inRoom() >= CONNS + 1) {
    await Bun.sleep(1000); // the arrivals' lines written out
    during = snapshot();
    break;
  }
}
const result = JSON.parse((await new Response(load.stdout).text()).trim().split("\n").pop() ?? "{}");
await load.exited;
clearInterval(sampler);
if (!during) throw new Error(`only ${inRoom()} of ${CONNS + 1} got into the room`);

const kib = (bytes: number) => (bytes / 1024).toFixed(1);
const per = (bytes: number) => ((bytes / CONNS) | 0).toString();
console.log(`${values.floor ? "floor" : "chat"}, ${CONNS} clients, Bun ${Bun.version}${process.execArgv.includes("--smol") ? " --smol" : ""}`);
console.log(`RSS          ${kib(before.rss)} → ${kib(during.rss)} KiB: ${per(during.rss - before.rss)} B per connection`);
console.log(`heap         ${kib(before.heap)} → ${kib(during.heap)} KiB: ${per(during.heap - before.heap)} B per connection`);
console.log(`heap capacity ${kib(before.capacity)} → ${kib(during.capacity)} KiB: ${per(during.capacity - before.capacity)} B per connection`);
console.log(`extra memory ${kib(before.extra)} → ${kib(during.extra)} KiB: ${per(during.extra - before.extra)} B per connection`);
console.log(`ArrayBuffers ${kib(before.arrayBuffers)} → ${kib(during.arrayBuffers)} KiB`);
console.log(`peaks during the storm: RSS ${kib(peak.rss)} KiB, heap ${kib(peak.heap)} KiB (capacity ${kib(peak.capacity)} KiB), extra memory ${kib(peak.extra)} KiB, ArrayBuffers ${kib(peak.arrayBuffers)} KiB`);
console.log(`objects      ${before.objects} → ${during.objects}: ${((during.objects - before.objects) / CONNS).toFixed(2)} per connection`);
const grown = Object.entries(during.types)
  .map(([type, count]) => [type, count - (before.types[type] ?? 0)] as const)
  .filter(([, n]) => n >= CONNS / 2)
  .sort((a, b) => b[1] - a[1]);
for (const [type, n] of grown) console.log(`  ${type.padEnd(28)} +${n} (${(n / CONNS).toFixed(2)} per connection)`);
const server = result.server ?? {};
console.log(`load generator: connected ${result.connected} in ${result.connect_ms} ms, quiet after ${result.settle_s} s, fan-out ${result.fanout_ms} ms; RSS before ${server.rss_before_mib} MiB, peak ${server.peak_rss_mib} MiB, ${result.kib_per_conn} KiB per connection`);
process.exit(0);
