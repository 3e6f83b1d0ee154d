// One chat on many servers: two or three `chat serve --redis` processes and one real redis-server, talked to as nc would.
import { afterEach, expect, test } from "bun:test";
import { closePeers, dial, escape, join, run, unique, type Peer } from "../helpers.ts";
import { serveClustered, startRedis } from "../redis.ts";

afterEach(closePeers);

let names = 0;
/** A name no other test uses (names are at most 32 characters). */
function name(label: string): string {
  return `${label}${++names}${Math.random().toString(36).slice(2, 7)}`;
}

/** In the room under a name of its own. */
async function person(port: number, as: string): Promise<Peer> {
  const peer = await join(port);
  peer.say(`/nick ${as}`);
  await peer.until(new RegExp(`is now known as ${escape(as)}$`));
  peer.name = as;
  return peer;
}

/** A fresh redis-server and two servers of one cluster on it, stopped together (the servers first). */
async function twoServers() {
  await using stack = new AsyncDisposableStack();
  const redis = stack.use(await startRedis());
  const one = stack.use(await serveClustered(redis));
  const two = stack.use(await serveClustered(redis));
  const stop = stack.move();
  return { redis, one, two, [Symbol.asyncDispose]: () => stop.disposeAsync() };
}

test("a line, an arrival, a departure, a rename and a topic cross servers, and the sender's echo comes back in the same order", async () => {
  await using cluster = await twoServers();
  const { one, two } = cluster;
  const alice = await person(one.port, name("alice"));
  const bobName = name("bob");
  const bob = await join(two.port);
  await alice.until(new RegExp(`^${escape(bob.name)} has arrived$`));
  bob.say(`/nick ${bobName}`);
  await alice.until(new RegExp(`^${escape(bob.name)} is now known as ${bobName}$`));
  const text = unique("crossing");
  alice.say(text);
  bob.say(`${text}-reply`);
  // Said at once on two servers: either may come first, but both servers show the same order.
  const orders = await Promise.all(
    [alice, bob].map(async (peer) => {
      const seen: string[] = [];
      while (seen.length < 2) seen.push((await peer.until(new RegExp(`^(?:${alice.name}|${bobName}): ${text}(?:-reply)?$`)))[0]!);
      return seen;
    }),
  );
  expect(orders[1]).toEqual(orders[0]!);
  expect([...orders[0]!].sort()).toEqual([`${alice.name}: ${text}`, `${bobName}: ${text}-reply`]);
  const topic = unique("topic");
  bob.say(`/topic ${topic}`);
  await alice.until(new RegExp(`^\\* ${bobName} set the topic: ${topic}$`));
  alice.say("/topic");
  await alice.until(new RegExp(`^\\* topic: ${topic}$`));
  bob.say("/quit");
  await alice.until(new RegExp(`^${bobName} has left$`));
});

test("Present: and /who list the people on every server", async () => {
  await using cluster = await twoServers();
  const { one, two } = cluster;
  const alice = await person(one.port, name("alice"));
  const bob = await person(two.port, name("bob"));
  const carol = await dial(one.port);
  const [, carolName] = await carol.until(/^You are (.+)$/);
  const present = (await carol.until(/^Present: (.+)$/))[1]!.split(", ");
  expect(present).toContain(alice.name);
  expect(present).toContain(bob.name);
  await bob.until(new RegExp(`^${escape(carolName!)} has arrived$`));
  bob.say("/who");
  const who = (await bob.until(/^\* Present: (.+)$/))[1]!.split(", ");
  expect(who).toEqual([alice.name, bob.name, carolName!].sort());
});

test("a name race across two servers has exactly one winner", async () => {
  await using cluster = await twoServers();
  const { one, two } = cluster;
  const left = await join(one.port);
  const right = await join(two.port);
  await left.until(new RegExp(`^${escape(right.name)} has arrived$`));
  for (let round = 0; round < 5; round++) {
    const wanted = name("racer");
    left.say(`/nick ${wanted}`);
    right.say(`/nick ${wanted}`);
    const outcome = async (peer: Peer) =>
      (await peer.until(new RegExp(`^(?:${escape(peer.name)} is now known as ${wanted}|\\* name ${wanted} is taken)$`)))[0]!.startsWith("*") ? "taken" : "won";
    const results = await Promise.all([outcome(left), outcome(right)]);
    expect([...results].sort()).toEqual(["taken", "won"]);
    const winner = results[0] === "won" ? left : right;
    // The loser sees the winner's rename (before or after being told), then the winner moves on for the next round.
    const loser = winner === left ? right : left;
    const renamed = `${winner.name} is now known as ${wanted}`;
    const next = name("n");
    winner.say(`/nick ${next}`);
    await loser.until(new RegExp(`^${wanted} is now known as ${next}$`));
    await winner.until(new RegExp(`^${wanted} is now known as ${next}$`));
    expect(loser.lines.all).toContain(renamed);
    winner.name = next;
  }
});

test("/msg reaches a person on another server, and only them; /rooms lists the rooms of every server", async () => {
  await using cluster = await twoServers();
  const { one, two } = cluster;
  const alice = await person(one.port, name("alice"));
  const bob = await person(two.port, name("bob"));
  const carol = await person(two.port, name("carol"));
  await alice.until(new RegExp(`is now known as ${carol.name}$`));
  const text = unique("secret");
  alice.say(`/msg ${bob.name} ${text}`);
  await bob.until(new RegExp(`${text}`));
  await alice.until(new RegExp(`${text}`));
  alice.say(`${text}-public`);
  await carol.until(new RegExp(`^${alice.name}: ${text}-public$`));
  expect(carol.lines.all.some((line) => line.includes(`${text}`) && !line.includes("public"))).toBe(false);
  const room = name("dev");
  bob.say(`/join #${room}`);
  await bob.until(new RegExp(`^\\* you are now in #${room}$`));
  bob.say(`/topic ${text}-topic`);
  await bob.until(new RegExp(`set the topic: ${text}-topic$`));
  // A /msg after the topic: once it reaches alice, her server has applied the topic too.
  bob.say(`/msg ${alice.name} ${text}-barrier`);
  await alice.until(new RegExp(`${text}-barrier`));
  alice.say("/rooms");
  const lines: string[] = [];
  while (lines.length < 2) lines.push((await alice.until(/^\* #\S+ \(\d+\).*$/))[0]!);
  expect(lines).toEqual([`* #${room} (1): ${text}-topic`, "* #main (2)"]);
});

test("a newcomer gets the history, on another server and on a server started later", async () => {
  await using cluster = await twoServers();
  const { redis, one, two } = cluster;
  const alice = await person(one.port, name("alice"));
  const said = [unique("first"), unique("second"), unique("third")];
  for (const text of said) alice.say(text);
  await alice.until(new RegExp(`: ${said[2]}$`));
  const bob = await dial(two.port);
  for (const text of said) await bob.until(new RegExp(`${alice.name}: ${text}$`));
  await using three = await serveClustered(redis);
  const carol = await dial(three.port);
  await carol.until(/^You are /);
  expect((await carol.until(/^Present: (.+)$/))[1]!.split(", ")).toContain(alice.name);
  for (const text of said) await carol.until(new RegExp(`${alice.name}: ${text}$`));
});

test("three senders on three servers, 150 lines each: six receivers see the same complete sequence, each sender's lines in order", async () => {
  await using redis = await startRedis();
  await using s1 = await serveClustered(redis);
  await using s2 = await serveClustered(redis);
  await using s3 = await serveClustered(redis);
  const servers = [s1, s2, s3];
  const receivers: Peer[] = [];
  for (const server of servers) for (let i = 0; i < 2; i++) receivers.push(await person(server.port, name("r")));
  const senders = await Promise.all(servers.map((server) => person(server.port, name("s"))));
  const last = senders[senders.length - 1]!;
  for (const r of receivers) await r.until(new RegExp(`is now known as ${last.name}$`));
  const tag = unique("flood");
  const LINES = 150;
  await Promise.all(senders.map((s) => s.sendAll(Array.from({ length: LINES }, (_, i) => `${tag} ${i}\n`).join(""))));
  const pattern = new RegExp(`^(\\S+): ${tag} (\\d+)$`);
  const sequences = await Promise.all(
    receivers.map(async (r) => {
      const seen: string[] = [];
      while (seen.length < LINES * senders.length) {
        const [, from, n] = await r.until(pattern, 15_000);
        seen.push(`${from} ${n}`);
      }
      return seen;
    }),
  );
  for (const seq of sequences) expect(seq).toEqual(sequences[0]!);
  for (const s of senders) {
    const mine = sequences[0]!.filter((l) => l.startsWith(`${s.name} `)).map((l) => Number(l.split(" ")[1]));
    expect(mine).toEqual(Array.from({ length: LINES }, (_, i) => i));
  }
}, 60_000);

test("kill -9 of a server: its person is announced as lost within 5 s, and the name can be claimed again", async () => {
  await using redis = await startRedis();
  await using one = await serveClustered(redis);
  const two = await serveClustered(redis);
  const alice = await person(one.port, name("alice"));
  const doomed = name("doomed");
  await person(two.port, doomed);
  await alice.until(new RegExp(`is now known as ${doomed}$`));
  two.proc.kill("SIGKILL");
  await two.exited;
  const killed = Date.now();
  await alice.until(new RegExp(`^${doomed} has left \\(lost\\)$`), 6000);
  expect(Date.now() - killed).toBeLessThan(5000);
  alice.say("/who");
  expect((await alice.until(/^\* Present: (.+)$/))[1]!.split(", ")).not.toContain(doomed);
  const again = await join(one.port);
  again.say(`/nick ${doomed}`);
  await again.until(new RegExp(`is now known as ${doomed}$`));
});

test("kill -9 of redis-server: lines said meanwhile are held, then arrive once each, in order, and the chat goes on both ways", async () => {
  await using cluster = await twoServers();
  const { redis, one, two } = cluster;
  const alice = await person(one.port, name("alice"));
  const bob = await person(two.port, name("bob"));
  await alice.until(new RegExp(`is now known as ${bob.name}$`));
  await redis.crash();
  await alice.until(/^\* reconnecting to the cluster$/);
  await bob.until(/^\* reconnecting to the cluster$/);
  const tag = unique("outage");
  for (let i = 0; i < 20; i++) alice.say(`${tag} ${i}`);
  await redis.restart();
  await alice.until(/^\* reconnected$/, 10_000);
  await bob.until(/^\* reconnected$/, 10_000);
  await bob.until(new RegExp(`^${alice.name}: ${tag} 19$`), 10_000);
  const got = bob.lines.all.filter((l) => l.includes(tag));
  expect(got).toEqual(Array.from({ length: 20 }, (_, i) => `${alice.name}: ${tag} ${i}`));
  const after = unique("after");
  bob.say(after);
  await alice.until(new RegExp(`^${bob.name}: ${after}$`));
  alice.say(`${after}-back`);
  await bob.until(new RegExp(`^${alice.name}: ${after}-back$`));
  expect(alice.lines.all.filter((l) => l.includes(tag))).toHaveLength(20);
});

test("a newcomer while Redis is away is welcomed once it is back, its name claimed across the cluster", async () => {
  await using cluster = await twoServers();
  const { redis, one, two } = cluster;
  const alice = await person(one.port, name("alice"));
  await redis.crash();
  await alice.until(/^\* reconnecting to the cluster$/);
  const late = await dial(two.port);
  await redis.restart();
  const [, lateName] = await late.until(/^You are (.+)$/, 10_000);
  await alice.until(new RegExp(`^${escape(lateName!)} has arrived$`), 10_000);
  const text = unique("late");
  late.say(text);
  await alice.until(new RegExp(`^${escape(lateName!)}: ${text}$`));
});

test("an unreachable Redis with a password in the URL: exit 1, one line, no password", async () => {
  await using redis = await startRedis();
  const port = redis.port;
  await redis.stop();
  const secret = "hunter2-sw0rdfish";
  const server = run(["serve", "--port", "0", "--redis", `redis://:${secret}@127.0.0.1:${port}/3`]);
  const code = await server.exited;
  expect(code).toBe(1);
  expect(server.stderr.all.filter((l) => l !== "")).toEqual([`chat: cannot reach Redis at 127.0.0.1:${port}`]);
  expect(server.stdout.all.join("\n")).not.toContain(secret);
  expect(server.stderr.all.join("\n")).not.toContain(secret);
});

test("a Redis that refuses the password: exit 1, one line that says so, no password", async () => {
  await using redis = await startRedis({ password: "the-right-one" });
  const secret = "not-the-right-one";
  const server = run(["serve", "--port", "0", "--redis", `redis://:${secret}@127.0.0.1:${redis.port}`]);
  expect(await server.exited).toBe(1);
  expect(server.stderr.all.filter((l) => l !== "")).toEqual([
    `chat: Redis at 127.0.0.1:${redis.port} refused the connection (a wrong or missing password, or not Redis?)`,
  ]);
});

test("two clusters on one Redis do not see each other", async () => {
  await using redis = await startRedis();
  await using one = await serveClustered(redis, ["--cluster", "one"]);
  await using two = await serveClustered(redis, ["--cluster", "two"]);
  await using alsoOne = await serveClustered(redis, ["--cluster", "one"]);
  const alice = await person(one.port, name("alice"));
  const bob = await person(two.port, name("bob"));
  const carol = await person(alsoOne.port, name("carol"));
  await alice.until(new RegExp(`is now known as ${carol.name}$`));
  const text = unique("private-cluster");
  alice.say(text);
  bob.say(`${text}-two`);
  await carol.until(new RegExp(`^${alice.name}: ${text}$`));
  await bob.until(new RegExp(`^${bob.name}: ${text}-two$`));
  // Order: alice's line came before carol's marker on her side, bob's never will.
  carol.say(`${text}-end`);
  await alice.until(new RegExp(`^${carol.name}: ${text}-end$`));
  expect(alice.lines.all.some((l) => l.includes(`${text}-two`) || l.includes(bob.name))).toBe(false);
  expect(bob.lines.all.some((l) => l.includes(alice.name))).toBe(false);
});

test("an operator on one server kicks a person on another", async () => {
  await using redis = await startRedis();
  const ops = { CHAT_OP_PASSWORD: "op-secret" };
  await using one = await serveClustered(redis, [], ops);
  await using two = await serveClustered(redis, [], ops);
  const op = await person(one.port, name("op"));
  op.say("/op op-secret");
  await op.until(/^\* you are an operator$/);
  const troll = await person(two.port, name("troll"));
  const watcher = await person(two.port, name("w"));
  await op.until(new RegExp(`is now known as ${watcher.name}$`));
  op.say(`/kick ${troll.name} enough`);
  await troll.until(new RegExp(`^\\* you were kicked by ${op.name}: enough$`));
  await troll.closed;
  await watcher.until(new RegExp(`^${troll.name} has left \\(kicked\\)$`));
  await op.until(new RegExp(`^${troll.name} has left \\(kicked\\)$`));
});

/** `name{labels} value` lines of /metrics as a map. */
async function scrape(base: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const map = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^(chat_[a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) map.set(m[1]!, Number(m[2]));
  }
  return map;
}

/** Scrapes until the figures satisfy ready, or 5 s have passed; the last scrape either way. */
async function scrapeUntil(base: string, ready: (figures: Map<string, number>) => boolean): Promise<Map<string, number>> {
  const deadline = Date.now() + 5000;
  let figures = await scrape(base);
  while (!ready(figures) && Date.now() < deadline) figures = await scrape(base);
  return figures;
}

test("--metrics: lines held while Redis is away, reconnects and bus lag; the password is nowhere", async () => {
  const password = "c0rrect-h0rse";
  await using redis = await startRedis({ password });
  await using one = await serveClustered(redis, ["--metrics", "127.0.0.1:0"]);
  await using two = await serveClustered(redis);
  const [, base] = await one.stderr.until(/metrics on (http:\/\/127\.0\.0\.1:\d+)\/metrics$/);
  const alice = await person(one.port, name("alice"));
  const bob = await person(two.port, name("bob"));
  await alice.until(new RegExp(`is now known as ${bob.name}$`));
  await redis.crash();
  await alice.until(/^\* reconnecting to the cluster$/);
  const tag = unique("held");
  for (let i = 0; i < 5; i++) alice.say(`${tag} ${i}`);
  // Lines follow lines into the queue of changes held for Redis; nothing is delivered yet.
  const during = await scrapeUntil(base!, (m) => m.get("chat_bus_held_changes")! >= 5);
  expect([during.get("chat_bus_held_changes"), during.get("chat_bus_waiting_lines")]).toEqual([5, 0]);
  await redis.restart();
  await bob.until(new RegExp(`^${alice.name}: ${tag} 4$`), 10_000);
  await alice.until(new RegExp(`^${alice.name}: ${tag} 4$`));
  // Delivered through the stream; held until Redis's reply to the append, on another connection, comes back too.
  const after = await scrapeUntil(base!, (m) => m.get("chat_bus_held_changes") === 0);
  expect(after.get("chat_bus_held_changes")).toBe(0);
  expect(after.get("chat_bus_waiting_lines")).toBe(0);
  expect(after.get("chat_bus_reconnects_total")).toBeGreaterThanOrEqual(1);
  expect(after.get("chat_bus_lag_seconds_count")).toBeGreaterThan(0);
  expect(after.get("chat_bus_lag_seconds_sum")).toBeGreaterThanOrEqual(0);
  const text = await (await fetch(`${base}/metrics`)).text();
  expect(text).not.toContain(password);
  expect(one.stderr.all.join("\n")).not.toContain(password);
});

test("with appendfsync always, a line whose sender saw its echo survives kill -9 of redis-server", async () => {
  await using redis = await startRedis({ persistence: "always" });
  await using one = await serveClustered(redis);
  const alice = await person(one.port, name("alice"));
  const said = Array.from({ length: 5 }, (_, i) => unique(`kept${i}`));
  for (const text of said) alice.say(text);
  await alice.until(new RegExp(`: ${said[4]}$`)); // every echo seen
  await redis.crash();
  await redis.restart();
  await alice.until(/^\* reconnected$/, 10_000);
  // A server started now knows the chat only from what Redis kept.
  await using two = await serveClustered(redis);
  const bob = await dial(two.port);
  for (const text of said) await bob.until(new RegExp(`^\\[\\d\\d:\\d\\d\\] ${alice.name}: ${text}$`));
});

test("a server the cluster declared dead (stopped for 5 s) drops its people when it wakes, and serves newcomers again", async () => {
  await using cluster = await twoServers();
  const { one, two } = cluster;
  const alice = await person(one.port, name("alice"));
  const sleeper = name("sleeper");
  const sleeping = await person(two.port, sleeper);
  await alice.until(new RegExp(`is now known as ${sleeper}$`));
  two.proc.kill("SIGSTOP");
  try {
    await alice.until(new RegExp(`^${sleeper} has left \\(lost\\)$`), 6000);
  } finally {
    two.proc.kill("SIGCONT");
  }
  await sleeping.closed; // no ghost: the person the others saw leave is gone here too
  const again = await person(two.port, name("again"));
  await alice.until(new RegExp(`is now known as ${again.name}$`));
  const text = unique("awake");
  again.say(text);
  await alice.until(new RegExp(`^${again.name}: ${text}$`));
  alice.say("/who");
  expect((await alice.until(/^\* Present: (.+)$/))[1]!.split(", ").sort()).toEqual([alice.name, again.name].sort());
});
