// The Redis machinery against a real redis-server: a link that outlives restarts, the stream's order and idempotent
// append, lines held while Redis is away, heartbeats and the reaper, name claims.
import { afterEach, expect, test } from "bun:test";
import type { Socket } from "bun";
import { Appender } from "../../core/bus/redis/appender.ts";
import { Keys } from "../../core/bus/redis/keys.ts";
import { Link } from "../../core/bus/redis/link.ts";
import { Names } from "../../core/bus/redis/names.ts";
import { lostRecord, Presence, PRESENCE } from "../../core/bus/redis/presence.ts";
import { Reader, type Entry } from "../../core/bus/redis/reader.ts";
import { parseRedisUrl, type RedisTarget } from "../../core/bus/redis/target.ts";
import { startRedis, type Redis } from "../redis.ts";
import { Lines } from "../helpers.ts";

const opened: Link[] = [];
afterEach(() => {
  for (const link of opened.splice(0)) link.close();
});

function target(url: string): RedisTarget {
  const parsed = parseRedisUrl(url);
  if (typeof parsed === "string") throw new Error(parsed);
  return parsed;
}

async function link(redis: Redis | string): Promise<Link> {
  const l = new Link(target(typeof redis === "string" ? redis : redis.url));
  opened.push(l);
  await l.open();
  return l;
}

/** A reader from the stream's start whose entries' data land in lines, to wait on. */
async function reader(redis: Redis, keys: Keys): Promise<{ lines: Lines; entries: Entry[] }> {
  const lines = new Lines();
  const entries: Entry[] = [];
  const r = new Reader(await link(redis), keys, "0-0", null, {
    deliver: (entry) => {
      entries.push(entry);
      lines.push(new TextEncoder().encode(`${entry.data}\n`));
    },
  });
  r.start();
  return { lines, entries };
}

test("parseRedisUrl: host, port, db and TLS from the URL; a problem is one line without the password", () => {
  expect(parseRedisUrl("redis://:s3cret@example.org:6380/2")).toMatchObject({ host: "example.org", port: 6380, db: 2, tls: false, where: "example.org:6380" });
  expect(parseRedisUrl("rediss://[::1]")).toMatchObject({ host: "::1", port: 6379, tls: true, where: "[::1]:6379" });
  for (const bad of ["http://:s3cret@host", "redis://:s3cret@host/x", "not a url s3cret"]) {
    const problem = parseRedisUrl(bad);
    expect(typeof problem).toBe("string");
    expect(problem as string).not.toContain("s3cret");
  }
});

test("an unreachable Redis fails the first connection", async () => {
  await using redis = await startRedis();
  await redis.stop();
  expect(link(redis)).rejects.toThrow();
});

test("the link reports down and up across a kill -9 and restart of redis-server, and works again", async () => {
  await using redis = await startRedis();
  const l = await link(redis);
  const events = new Lines();
  const say = (word: string) => events.push(new TextEncoder().encode(`${word}\n`));
  l.watch({ down: () => say("down"), up: () => say("up") });
  expect(await l.send("PING", [])).toBe("PONG");
  await redis.crash();
  await events.until(/^down$/);
  expect(l.send("PING", [])).rejects.toThrow(); // at once, not queued
  await redis.restart();
  await events.until(/^up$/, 10_000);
  expect(await l.send("PING", [])).toBe("PONG");
  expect(l.reconnects).toBe(1);
});

test("the link outlasts Bun's own reconnection, which gives up after 20 attempts (about 31 s): Redis away for 33 s", async () => {
  await using redis = await startRedis();
  const l = await link(redis);
  const events = new Lines();
  l.watch({ down: () => events.push(new TextEncoder().encode("down\n")), up: () => events.push(new TextEncoder().encode("up\n")) });
  await redis.crash();
  await events.until(/^down$/);
  await Bun.sleep(33_000); // the outage itself, longer than Bun's 20 attempts
  expect(events.all).toEqual(["down"]);
  await redis.restart();
  await events.until(/^up$/, 5000);
  expect(await l.send("PING", [])).toBe("PONG");
}, 60_000);

/**
 * A TCP proxy to redis-server. request(bytes) false: that request is swallowed (Redis never sees it, no reply comes);
 * reply() false: the client is cut off instead of being given that reply (Redis ran the request).
 */
function redisProxy(redis: Redis, hooks: { request?(bytes: Uint8Array): boolean; reply?(): boolean }) {
  type Client = { upstream?: Socket<Client>; early: Uint8Array[] };
  return Bun.listen<Client>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      async open(client) {
        client.data = { early: [] };
        client.data.upstream = await Bun.connect<Client>({
          hostname: "127.0.0.1",
          port: redis.port,
          data: { early: [] },
          socket: {
            data(_up, bytes) {
              if (hooks.reply?.() === false) return void client.terminate();
              client.write(bytes);
            },
            close: () => void client.end(),
          },
        });
        for (const bytes of client.data.early) client.data.upstream.write(bytes);
      },
      data(client, bytes) {
        if (hooks.request?.(bytes) === false) return;
        if (client.data.upstream) client.data.upstream.write(bytes);
        else client.data.early.push(bytes.slice());
      },
      close(client) {
        client.data.upstream?.end();
      },
    },
  });
}

test("appends reach every reader in one order, each once; a reader resumes from its last entry after a restart", async () => {
  await using redis = await startRedis({ persistence: "always" });
  const keys = new Keys("order");
  const a = new Appender(await link(redis), keys, "node-a", { cap: 10_000, maxlen: 100_000 });
  const b = new Appender(await link(redis), keys, "node-b", { cap: 10_000, maxlen: 100_000 });
  const one = await reader(redis, keys);
  const two = await reader(redis, keys);
  for (let i = 0; i < 300; i++) {
    a.append(`a ${i}`);
    b.append(`b ${i}`);
  }
  for (const r of [one, two]) for (let last = 0; last < 2; last++) await r.lines.until(/^[ab] 299$/);
  expect(one.entries.map((e) => e.data)).toEqual(two.entries.map((e) => e.data));
  expect(one.entries.filter((e) => e.origin === "node-a").map((e) => e.data)).toEqual(Array.from({ length: 300 }, (_, i) => `a ${i}`));
  // Read is not acknowledged: Redis's replies may still be on their way, and what they acknowledge is not held.
  await a.drained();

  await redis.crash();
  for (let i = 0; i < 20; i++) a.append(`held ${i}`); // held while Redis is away
  expect(a.held).toBe(20);
  await redis.restart();
  await one.lines.until(/^held 19$/, 10_000);
  await two.lines.until(/^held 19$/, 10_000);
  for (const r of [one, two]) {
    const data = r.entries.map((e) => e.data);
    expect(data.length).toBe(620);
    expect(data.slice(600)).toEqual(Array.from({ length: 20 }, (_, i) => `held ${i}`));
  }
  await a.drained(); // the readers may see the entries before the appender has Redis's reply
  expect(a.held).toBe(0);
});

test("without persistence, a restarted Redis is read from its new start: held lines arrive once, in order", async () => {
  await using redis = await startRedis();
  const keys = new Keys("lossy");
  const writer = await link(redis);
  await writer.send("SET", [keys.epoch, "first"]);
  const lines = new Lines();
  const entries: Entry[] = [];
  const r = new Reader(await link(redis), keys, "0-0", "first", {
    deliver: (entry) => {
      entries.push(entry);
      lines.push(new TextEncoder().encode(`${entry.data}\n`));
    },
  });
  r.start();
  const a = new Appender(writer, keys, "node-a", { cap: 100, maxlen: 100_000 });
  a.append("before");
  await lines.until(/^before$/);
  await redis.crash();
  for (let i = 0; i < 20; i++) expect(a.append(`held ${i}`)).toBe(true);
  await redis.restart();
  await lines.until(/^held 19$/, 10_000);
  expect(entries.map((e) => e.data)).toEqual(["before", ...Array.from({ length: 20 }, (_, i) => `held ${i}`)]);
});

test("the held queue is bounded: past its cap, append refuses and what was held is kept", async () => {
  await using redis = await startRedis();
  const keys = new Keys("bounded");
  const a = new Appender(await link(redis), keys, "node-a", { cap: 5, maxlen: 100_000 });
  const seen = await reader(redis, keys);
  await redis.crash();
  const accepted = Array.from({ length: 8 }, (_, i) => a.append(`line ${i}`));
  expect(accepted).toEqual([true, true, true, true, true, false, false, false]);
  await redis.restart();
  await seen.lines.until(/^line 4$/, 10_000);
  expect(seen.entries.map((e) => e.data)).toEqual(["line 0", "line 1", "line 2", "line 3", "line 4"]);
});

test("a batch whose reply was lost after Redis ran it is sent again and appended once", async () => {
  await using redis = await startRedis();
  // Once armed, the next EVALSHA goes to Redis, and the client is cut off instead of being given the reply.
  let armed = false;
  let cut = false;
  const proxy = redisProxy(redis, {
    request: (bytes) => {
      if (armed && String(bytes).includes("EVALSHA")) cut = true;
      return true;
    },
    reply: () => {
      if (!cut) return true;
      cut = armed = false;
      return false;
    },
  });
  try {
    const keys = new Keys("lost-reply");
    const a = new Appender(await link(`redis://127.0.0.1:${proxy.port}`), keys, "node-a", { cap: 100, maxlen: 100_000 });
    const seen = await reader(redis, keys);
    a.append("warm up"); // loads the script, so the next append is one EVALSHA
    await seen.lines.until(/^warm up$/);
    await a.drained();
    armed = true;
    a.append("once"); // appended in one task: one call, one entry
    a.append("after");
    await seen.lines.until(/^after$/, 10_000);
    await a.drained(); // sent again on a new connection, and acknowledged
    expect(seen.entries.map((e) => e.data)).toEqual(["warm up", "once", "after"]);
    expect(await redis.command("XLEN", keys.log)).toBe("2"); // not appended a second time
    expect(a.appended).toBe(3);
  } finally {
    proxy.stop(true);
  }
});

test("a new node's first append lost on the way is not overtaken by its second: nothing is taken for appended that was not", async () => {
  await using redis = await startRedis();
  // Once armed, the next EVALSHA is swallowed: Redis never runs it and no reply comes, so the call times out.
  let armed = false;
  let swallowed!: () => void;
  const gone = new Promise<void>((resolve) => (swallowed = resolve));
  const proxy = redisProxy(redis, {
    request: (bytes) => {
      if (!armed || !String(bytes).includes("EVALSHA")) return true;
      armed = false;
      swallowed();
      return false;
    },
  });
  try {
    const keys = new Keys("overtaken");
    // The script is loaded by another node, so this node's first call is one EVALSHA and its second could run at once.
    const other = new Appender(await link(redis), keys, "node-other", { cap: 100, maxlen: 100_000 });
    const seen = await reader(redis, keys);
    other.append("loaded");
    await seen.lines.until(/^loaded$/);
    const a = new Appender(await link(`redis://127.0.0.1:${proxy.port}`), keys, "node-new", { cap: 100, maxlen: 100_000 });
    armed = true;
    a.append("first");
    await gone;
    a.append("second");
    await seen.lines.until(/^second$/, 15_000);
    expect(seen.entries.map((e) => e.data)).toEqual(["loaded", "first", "second"]);
  } finally {
    proxy.stop(true);
  }
}, 30_000);

test("a batch is one entry of the stream, split again by readers, with every change's effects applied", async () => {
  await using redis = await startRedis();
  const keys = new Keys("packed");
  const a = new Appender(await link(redis), keys, "node-a", { cap: 1000, maxlen: 100_000 });
  const seen = await reader(redis, keys);
  // Appended in one task: they go out together, up to 64 changes a call and an entry (BATCH), so 4 entries.
  for (let i = 0; i < 200; i++) a.append(`line ${i}`, [{ op: "hset", key: keys.state("people"), field: `p${i}`, value: `v${i}` }]);
  await seen.lines.until(/^line 199$/);
  expect(seen.entries.map((e) => e.data)).toEqual(Array.from({ length: 200 }, (_, i) => `line ${i}`));
  expect(seen.entries.map((e) => e.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  expect(await redis.command("XLEN", keys.log)).toBe("4");
  expect(await redis.command("HLEN", keys.state("people"))).toBe("200");
  expect(await redis.command("HGET", keys.state("people"), "p199")).toBe("v199");
});

test("a batch sent again with other bounds is cut where Redis already has it: each change appended once, effects applied once", async () => {
  await using redis = await startRedis();
  const keys = new Keys("recut");
  const seen = await reader(redis, keys);
  // The same origin twice, as after a restart of the appender that lost its replies: the second sends 1..10 again.
  const first = new Appender(await link(redis), keys, "node-a", { cap: 100, maxlen: 100_000 });
  for (let i = 1; i <= 6; i++) first.append(`line ${i}`, [{ op: "push", key: keys.state("effects"), value: `${i}`, keep: 100 }]);
  await first.drained();
  const again = new Appender(await link(redis), keys, "node-a", { cap: 100, maxlen: 100_000 });
  for (let i = 1; i <= 10; i++) again.append(`line ${i}`, [{ op: "push", key: keys.state("effects"), value: `${i}`, keep: 100 }]);
  await seen.lines.until(/^line 10$/);
  await again.drained();
  expect(seen.entries.map((e) => e.data)).toEqual(Array.from({ length: 10 }, (_, i) => `line ${i + 1}`));
  expect((await redis.command("LRANGE", keys.state("effects"), "0", "-1")).split("\n")).toEqual(Array.from({ length: 10 }, (_, i) => `${i + 1}`));
});

test("a reader drops an entry it has delivered already (same origin and sequence) and says when entries went missing", async () => {
  await using redis = await startRedis();
  const keys = new Keys("dedup");
  const gaps: string[] = [];
  const lines = new Lines();
  const entries: Entry[] = [];
  new Reader(await link(redis), keys, "0-0", null, {
    deliver: (entry) => {
      entries.push(entry);
      lines.push(new TextEncoder().encode(`${entry.data}\n`));
    },
    gap: (origin, missing) => gaps.push(`${origin} ${missing}`),
  }).start();
  for (const [seq, data] of [["1", "one"], ["1", "one again"], ["2", "two"], ["5", "five"], ["6", "end"]] as const)
    await redis.command("XADD", keys.log, "*", "o", "n", "s", seq, "d", data);
  await lines.until(/^end$/);
  expect(entries.map((e) => e.data)).toEqual(["one", "two", "five", "end"]);
  expect(gaps).toEqual(["n 2"]);
});

test("a silent node is reaped by one of the others within 5 s: its people announced lost, names freed; it learns it was declared dead", async () => {
  await using redis = await startRedis();
  const keys = new Keys("reap");
  const fast = { ...PRESENCE, silenceMs: 3000 };
  const events = new Lines();
  const say = (text: string) => events.push(new TextEncoder().encode(`${text}\n`));
  const names = new Names(await link(redis), keys, 30_000);
  expect(await names.claim("alice", "dying")).toBe(true);
  // The dying node's person, as a join's effects would record her.
  await redis.command("HSET", keys.node("dying"), "alice", lostRecord("alice has left (lost)", [{ op: "release", key: keys.name("alice"), owner: "dying" }]));
  const dying = new Presence(await link(redis), keys, "dying", { declaredDead: () => say("declared dead") }, fast);
  await dying.start();
  const seen = await reader(redis, keys);
  const watchers = await Promise.all(
    ["w1", "w2", "w3"].map(async (id) => {
      const p = new Presence(await link(redis), keys, id, { reaped: (ids) => say(`${id} reaped ${ids.join(",")}`) }, fast);
      await p.start();
      return p;
    }),
  );
  try {
    dying.stop(); // silent from now on, as after a kill -9
    const stopped = Date.now();
    await seen.lines.until(/^alice has left \(lost\)$/, 5000);
    expect(Date.now() - stopped).toBeLessThan(5000);
    await events.until(/^w\d reaped dying$/);
    expect(await names.holder("alice")).toBeNull();
    expect(await names.claim("alice", "w1")).toBe(true);
    await dying.beat(); // it wakes up
    await events.until(/^declared dead$/);
    expect(events.all.filter((l) => l.includes("reaped"))).toHaveLength(1);
    expect(seen.entries.map((e) => e.data)).toEqual(["alice has left (lost)"]);
  } finally {
    for (const w of watchers) w.stop();
  }
});

test("name claims: a race has one winner, a retry by the winner still wins, release frees only the holder's claim", async () => {
  await using redis = await startRedis();
  const keys = new Keys("names");
  const a = new Names(await link(redis), keys, 30_000);
  const b = new Names(await link(redis), keys, 30_000);
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).claim("bob", `owner-${i}`)));
  expect(results.filter(Boolean)).toHaveLength(1);
  const winner = `owner-${results.indexOf(true)}`;
  expect(await a.claim("bob", winner)).toBe(true);
  await b.release("bob", "someone-else");
  expect(await a.holder("bob")).toBe(winner);
  await b.release("bob", winner);
  expect(await a.holder("bob")).toBeNull();
});
