// Proof under attack: hundreds of hostile connections for 30 s (test/attacker.ts, in a process of its own) while ten
// well-behaved clients chat. Afterwards every well-behaved client has every line it was owed, in order; the server is
// up; its memory is back near where it started. The figures are printed for the record.
import { expect, test } from "bun:test";
import type { Socket } from "bun";
import { closePeers, join, serve, unique } from "../helpers.ts";

const ATTACK_MS = 30_000;
const GOOD = 10;
const LINES_PER_SECOND = 5; // each well-behaved client: well within the server's --rate 20
/**
 * Once the attackers are gone, the server's RSS must come back to within this much (KiB) of what it was before the
 * attack, within MEMORY_SETTLE_MS: the allocator returns freed pages some time after the garbage collector frees them.
 */
const MEMORY_BOUND_KIB = 32 * 1024;
const MEMORY_SETTLE_MS = 15_000;

interface Good {
  name: string;
  socket: Socket<undefined>;
  /** For each sender, the next sequence number expected from it. */
  next: Map<string, number>;
  outOfOrder: string[];
  received: number;
  /** Replies a well-behaved client should never get. */
  warnings: string[];
  closed: boolean;
  /** Lines the kernel did not take whole: a loss of the test's own, not the server's. */
  shortWrites: number;
}

async function goodClient(port: number, index: number, onLine: () => void): Promise<Good> {
  const me: Good = { name: `good-${index}`, socket: undefined!, next: new Map(), outOfOrder: [], received: 0, warnings: [], closed: false, shortWrites: 0 };
  let partial = "";
  const decoder = new TextDecoder();
  let renamed!: () => void;
  const named = new Promise<void>((resolve) => (renamed = resolve));
  me.socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      binaryType: "uint8array",
      data: (_s, bytes) => {
        const parts = (partial + decoder.decode(bytes, { stream: true })).split("\n");
        partial = parts.pop()!;
        for (const line of parts) {
          // The /nick sent at once is the name it arrives under.
          if (line === `You are ${me.name}`) renamed();
          if (line === "* slow down" || line.startsWith("* line too long")) me.warnings.push(line);
          // Only the well-behaved clients are called good-N, so a line that starts so is one of theirs.
          const m = /^(good-\d+): seq (\d+)$/.exec(line);
          if (!m) continue;
          const from = m[1]!;
          const seq = Number(m[2]);
          const expected = me.next.get(from) ?? 0;
          if (seq !== expected) me.outOfOrder.push(`${from} ${seq} (expected ${expected})`);
          me.next.set(from, seq + 1);
          me.received++;
        }
        onLine();
      },
      close: () => void (me.closed = true),
      error: () => {},
    },
  });
  me.socket.write(`/nick ${me.name}\n`);
  await named;
  return me;
}

async function scrape(base: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return new Map(
    text
      .split("\n")
      .filter((l) => l.startsWith("chat_"))
      .map((l) => [l.slice(0, l.lastIndexOf(" ")), Number(l.slice(l.lastIndexOf(" ") + 1))]),
  );
}

const MiB = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;

test(
  "under attack for 30 s, ten well-behaved clients get every line they are owed, in order; the server stays up and its memory comes back",
  async () => {
    // --max-per-ip 0: every attacker comes from 127.0.0.1, standing for hundreds of addresses.
    // --rate 20 --burst 40: floods are cut; the well-behaved clients' 5 lines a second pass.
    await using server = await serve(["--max-per-ip", "0", "--max-clients", "0", "--rate", "20", "--burst", "40", "--max-queue", "256k", "--metrics", "127.0.0.1:0"]);
    const [, base] = await server.stderr.until(/metrics on (http:\/\/127\.0\.0\.1:\d+)\/metrics$/);

    let progress = () => {};
    const waitForProgress = () => Promise.race([new Promise<void>((resolve) => (progress = resolve)), Bun.sleep(200)]);
    const good = await Promise.all(Array.from({ length: GOOD }, (_, i) => goodClient(server.port, i, () => progress())));
    const before = await server.memory("VmRSS");

    const attacker = Bun.spawn([process.execPath, `${import.meta.dir}/../attacker.ts`, String(server.port), String(ATTACK_MS)], { stdout: "pipe", stderr: "pipe" });
    try {
      // The well-behaved clients chat while the attack goes on.
      let sent = 0;
      const started = Date.now();
      while (Date.now() - started < ATTACK_MS) {
        const line = `seq ${sent++}\n`;
        for (const g of good) if (g.socket.write(line) !== line.length) g.shortWrites++;
        await Bun.sleep(1000 / LINES_PER_SECOND);
      }
      const [attackText, attackErrors, attackCode] = await Promise.all([attacker.stdout.text(), attacker.stderr.text(), attacker.exited]);
      expect({ code: attackCode, errors: attackErrors }).toEqual({ code: 0, errors: "" });
      const attack = JSON.parse(attackText) as { connections: number; failedConnects: number; bytesThrown: number; maxOpen: number };
      const peak = await server.memory("VmHWM");

      // Every good client is owed every line every good client sent, its own included.
      const owed = GOOD * sent;
      const deadline = Date.now() + 15_000;
      while (good.some((g) => g.received < owed) && Date.now() < deadline) await waitForProgress();

      // The attackers' connections are all gone: only the ten are left.
      let metrics = await scrape(base!);
      while (metrics.get("chat_clients") !== GOOD && Date.now() < deadline) {
        await Bun.sleep(100);
        metrics = await scrape(base!);
      }

      // Memory is measured once it has stopped falling: within the bound and steady (within 1 MiB) over a second.
      const settleStarted = Date.now();
      const rss = [await server.memory("VmRSS")];
      const steady = () => rss.length > 2 && Math.abs(rss.at(-1)! - rss.at(-3)!) < 1024;
      while (!(rss.at(-1)! - before < MEMORY_BOUND_KIB && steady()) && Date.now() - settleStarted < MEMORY_SETTLE_MS) {
        await Bun.sleep(500);
        rss.push(await server.memory("VmRSS"));
      }
      const after = rss.at(-1)!;
      const deliveries = metrics.get("chat_deliveries_total") ?? 0;
      const disconnects = [...metrics].filter(([k, v]) => k.startsWith("chat_disconnects_total") && v > 0).map(([k, v]) => `${/"(.+)"/.exec(k)![1]} ${v}`);
      console.log(
        [
          `hostile load: ${attack.connections} hostile connections in ${ATTACK_MS / 1000} s, at most ${attack.maxOpen} open at once (${attack.failedConnects} failed to connect);`,
          `${(attack.bytesThrown / 1024 / 1024).toFixed(1)} MiB thrown at the server;`,
          `the server let in ${metrics.get("chat_connections_accepted_total")} connections (the others were gone before it saw them), read ${metrics.get("chat_lines_in_total")} lines,`,
          `made ${deliveries} deliveries (${Math.round(deliveries / (ATTACK_MS / 1000) / 1000)}k/s), wrote ${((metrics.get("chat_bytes_out_total") ?? 0) / 1024 / 1024).toFixed(1)} MiB; disconnects: ${disconnects.join(", ")};`,
          `each of the ${GOOD} well-behaved clients received all ${owed} lines it was owed, in order;`,
          `server RSS before ${MiB(before)}, peak ${MiB(peak)}, after ${MiB(after)} (${((Date.now() - settleStarted) / 1000).toFixed(1)} s after the last attacker left; bound: before + ${MiB(MEMORY_BOUND_KIB)} within ${MEMORY_SETTLE_MS / 1000} s)`,
        ].join("\n  "),
      );

      expect(attack.connections).toBeGreaterThan(5000);
      expect(attack.maxOpen).toBeGreaterThan(100);
      expect(good.map((g) => g.shortWrites)).toEqual(new Array(GOOD).fill(0));
      expect(good.map((g) => g.closed)).toEqual(new Array(GOOD).fill(false));
      expect(good.map((g) => g.warnings)).toEqual(new Array(GOOD).fill([]));
      expect(good.map((g) => g.outOfOrder)).toEqual(new Array(GOOD).fill([]));
      expect(good.map((g) => g.received)).toEqual(new Array(GOOD).fill(owed));
      expect(metrics.get("chat_clients")).toBe(GOOD);
      expect(after - before).toBeLessThan(MEMORY_BOUND_KIB);

      // Still up: /healthz answers, and a newcomer is heard by everyone.
      expect(await (await fetch(`${base}/healthz`)).text()).toBe("ok\n");
      const newcomer = await join(server.port);
      const text = unique("after-the-attack");
      newcomer.say(text);
      await newcomer.until(new RegExp(`: ${text}$`));
    } finally {
      attacker.kill("SIGKILL");
      for (const g of good) g.socket.terminate();
      closePeers();
    }
  },
  120_000,
);
