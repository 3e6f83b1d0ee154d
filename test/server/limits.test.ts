// Every limit a server enforces, over real sockets: line length, slow readers, connection counts, idle clients.
import { afterEach, expect, test } from "bun:test";
import { closePeers, dial, escape, join, serve, unique } from "../helpers.ts";
import { dialFrom } from "../secure.ts";

afterEach(closePeers);

/** Memory is read from /proc (Linux); elsewhere the behaviour is still tested, the figure is not. */
const HAS_PROC = process.platform === "linux";

const said = (name: string, text: string) => new RegExp(`^${escape(name)}: ${escape(text)}$`);

/** Writes everything, waiting for the socket to drain; resolves once the kernel took the last byte. */
async function writeAll(port: number, chunks: Iterable<Uint8Array>): Promise<{ socket: import("bun").Socket<undefined> }> {
  let drained: (() => void) | undefined;
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: { data: () => {}, drain: () => drained?.(), error: () => {}, close: () => drained?.() },
  });
  for (const chunk of chunks) {
    let offset = 0;
    while (offset < chunk.length) {
      const n = socket.write(chunk.subarray(offset));
      if (n < 0) throw new Error(`connection closed while writing (${offset}/${chunk.length} of a chunk written)`);
      offset += n;
      if (offset < chunk.length) await new Promise<void>((r) => (drained = r));
    }
  }
  return { socket };
}

test("a 100 MB line with no newline is dropped, memory stays bounded, and the sender can go on", async () => {
  await using server = await serve(["--rate", "0"]);
  const alice = await join(server.port);
  const before = HAS_PROC ? await server.memory("VmRSS") : 0;
  const MiB = new Uint8Array(1 << 20).fill(0x61); // "aaaa…"
  const text = unique("after-huge");
  const flood = function* () {
    for (let i = 0; i < 100; i++) yield MiB;
    yield new TextEncoder().encode(`\n${text}\n`);
  };
  const { socket } = await writeAll(server.port, flood());
  await alice.until(new RegExp(`: ${text}$`), 20_000);
  socket.terminate();
  if (HAS_PROC) {
    // The server kept at most --max-line bytes of the line; RSS grows by far less than 100 MB.
    const peak = await server.memory("VmHWM");
    console.log(`100 MB line: RSS before ${before} KiB, peak ${peak} KiB, growth ${peak - before} KiB`);
    expect(peak - before).toBeLessThan(48 * 1024);
  }
  expect(alice.lines.all.filter((l) => l.includes("aaaaaaaa"))).toEqual([]);
});

test("the sender of a long line gets * line too long; --max-line sets the limit", async () => {
  await using server = await serve(["--max-line", "100", "--rate", "0"]);
  const alice = await join(server.port);
  const bob = await join(server.port);
  const tag = unique("ok");
  const exact = `${tag}${"y".repeat(100 - tag.length)}`; // exactly 100 bytes: allowed
  const marker = unique("after");
  bob.say("x".repeat(101));
  bob.say(exact);
  await bob.until(/^\* line too long \(max 100 bytes\)$/);
  bob.say(marker);
  await alice.until(said(bob.name, marker));
  // Dropped, not cut to fit: nothing of the 101-byte line, all of the 100-byte one.
  expect(alice.lines.all.filter((l) => l.startsWith(`${bob.name}: `))).toEqual([`${bob.name}: ${exact}`, `${bob.name}: ${marker}`]);
});

test("the JSON welcome tells a client the limits it must keep: rate, burst and max-line", async () => {
  await using server = await serve(["--rate", "3", "--burst", "7", "--max-line", "100"]);
  const bot = await join(server.port);
  bot.say("/mode json");
  const welcome = JSON.parse((await bot.until(/^\{"type":"welcome"/)).input!);
  expect(welcome).toMatchObject({ rate: 3, burst: 7, maxLine: 100 });
  bot.say("x".repeat(101));
  const notice = JSON.parse((await bot.until(/^\{"type":"notice"/)).input!);
  expect(notice).toMatchObject({ text: "line too long (max 100 bytes)", code: "line_too_long" });
});

test("a client that stops reading is dropped as too slow while 50 others get every line in order", async () => {
  await using server = await serve(["--rate", "0", "--max-queue", "256k", "--max-per-ip", "0"]);
  const slow = await join(server.port);
  slow.socket.pause(); // stops reading: its kernel buffers fill, then its queue
  const LINES = 8000; // 8 MB: more than the kernel buffers for the stuck client, plus its queue
  const WINDOW = 100; // the readers are never more than 100 lines (100 KB) behind: they keep up
  const pad = "p".repeat(1000);
  let progress!: () => void;
  let waiting: Promise<void> = new Promise((r) => (progress = r));
  const readers = await Promise.all(
    Array.from({ length: 50 }, async () => {
      const state = { next: 0, outOfOrder: 0, sawSlowLeave: false };
      let partial = "";
      const decoder = new TextDecoder();
      const socket = await Bun.connect({
        hostname: "127.0.0.1",
        port: server.port,
        socket: {
          data: (_s, bytes) => {
            const parts = (partial + decoder.decode(bytes, { stream: true })).split("\n");
            partial = parts.pop()!;
            for (const line of parts) {
              const m = / SEQ (\d+) /.exec(line);
              if (m) {
                if (Number(m[1]) !== state.next) state.outOfOrder++;
                state.next = Number(m[1]) + 1;
              } else if (line === `${slow.name} has left (too slow)`) state.sawSlowLeave = true;
            }
            progress();
          },
          error: () => {},
        },
      });
      return { socket, state };
    }),
  );
  const sender = await join(server.port);
  const deadline = Date.now() + 40_000;
  const lowest = () => Math.min(...readers.map((r) => r.state.next));
  for (let i = 0; i < LINES && Date.now() < deadline; i++) {
    while (i - lowest() >= WINDOW && Date.now() < deadline) {
      await Promise.race([waiting, Bun.sleep(100)]);
      waiting = new Promise((r) => (progress = r));
    }
    sender.say(`SEQ ${i} ${pad}`);
  }
  while (lowest() < LINES && Date.now() < deadline) {
    await Promise.race([waiting, Bun.sleep(100)]);
    waiting = new Promise((r) => (progress = r));
  }
  const stats = readers.map((r) => r.state);
  expect(stats.map((s) => s.next)).toEqual(Array(50).fill(LINES));
  expect(stats.map((s) => s.outOfOrder)).toEqual(Array(50).fill(0));
  expect(stats.every((s) => s.sawSlowLeave)).toBe(true);
  await slow.closed; // the server closed it
  if (HAS_PROC) {
    const peak = await server.memory("VmHWM");
    console.log(`slow reader: server peak RSS ${peak} KiB`);
    expect(peak).toBeLessThan(256 * 1024);
  }
  for (const r of readers) r.socket.terminate();
}, 60_000);

test("--max-clients: the next connection gets * server is full and is closed", async () => {
  await using server = await serve(["--max-clients", "2"]);
  const alice = await join(server.port);
  const bob = await join(server.port);
  const third = await dial(server.port);
  await third.until(/^\* server is full$/);
  await third.closed;
  expect(third.lines.all).toEqual(["* server is full"]);
  alice.close();
  await bob.until(new RegExp(`^${escape(alice.name)} has left$`));
  const fourth = await dial(server.port); // a place is free again
  await fourth.until(/^You are /);
});

test("--max-clients: each way out frees its place once (quit, a closed socket, idle), never twice", async () => {
  await using server = await serve(["--max-clients", "2", "--idle", "1s", "--rate", "0"]);
  const stay = await join(server.port);
  const keepTalking = setInterval(() => stay.say(unique("alive")), 250);
  try {
    for (const leave of ["quit", "close", "idle"] as const) {
      const goer = await join(server.port);
      if (leave === "quit") goer.say("/quit");
      if (leave === "close") goer.close();
      await stay.until(new RegExp(`^${escape(goer.name)} has left${leave === "idle" ? " \\(idle\\)" : ""}$`), 5000);
      const next = await join(server.port); // the place it left
      const over = await dial(server.port); // and no other
      await over.until(/^\* server is full$/);
      await over.closed;
      next.close();
      await stay.until(new RegExp(`^${escape(next.name)} has left$`));
    }
  } finally {
    clearInterval(keepTalking);
  }
});

test("--max-per-ip: the next connection from the same address gets * server is full", async () => {
  await using server = await serve(["--max-per-ip", "2"]);
  await join(server.port);
  await join(server.port);
  const third = await dial(server.port);
  await third.until(/^\* server is full$/);
  await third.closed;
  expect(third.lines.all).toEqual(["* server is full"]);
  const elsewhere = dialFrom(server.port, "127.0.0.2"); // another address has places of its own
  await elsewhere.until(/^You are 127\.0\.0\.2:\d+$/);
  elsewhere.close();
});

test("CHAT_MAX_CLIENTS is the twin of --max-clients, and the flag wins", async () => {
  {
    await using server = await serve([], { CHAT_MAX_CLIENTS: "1" });
    await join(server.port);
    const second = await dial(server.port);
    await second.until(/^\* server is full$/);
    await second.closed;
  }
  {
    await using server = await serve(["--max-clients", "1"], { CHAT_MAX_CLIENTS: "5" });
    await join(server.port);
    const second = await dial(server.port);
    await second.until(/^\* server is full$/);
    await second.closed;
  }
});

test("--idle 1s: a silent client is dropped with (idle); a talking one stays", async () => {
  await using server = await serve(["--idle", "1s", "--rate", "0"]);
  const talker = await join(server.port);
  const sleeper = await join(server.port);
  const keepTalking = setInterval(() => talker.say(unique("alive")), 250);
  try {
    await talker.until(new RegExp(`^${escape(sleeper.name)} has left \\(idle\\)$`), 5000);
    await sleeper.closed;
    const text = unique("still-here");
    talker.say(text);
    await talker.until(said(talker.name, text));
  } finally {
    clearInterval(keepTalking);
  }
});
