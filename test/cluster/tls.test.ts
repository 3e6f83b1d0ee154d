// One chat through Redis over TLS (rediss://): a real redis-server on a TLS port alone, its certificate signed by a private CA.
import { afterAll, afterEach, expect, test } from "bun:test";
import { closePeers, escape, join, run, unique } from "../helpers.ts";
import { serveClustered, startRedis } from "../redis.ts";
import { makeCertificates } from "../secure.ts";

afterEach(closePeers);
const certs = makeCertificates();
afterAll(() => certs.remove());
const tls = { cert: certs.cert, key: certs.key, ca: certs.ca };

test("rediss:// with --redis-ca: two servers are one chat through Redis's TLS port", async () => {
  await using redis = await startRedis({ tls, password: "tls-and-a-password" });
  await using one = await serveClustered(redis, ["--redis-ca", certs.ca]);
  await using two = await serveClustered(redis, [], { CHAT_REDIS_CA: certs.ca });
  const alice = await join(one.port);
  const bob = await join(two.port);
  await alice.until(new RegExp(`^${escape(bob.name)} has arrived$`));
  const text = unique("over-tls");
  bob.say(text);
  await alice.until(new RegExp(`^${escape(bob.name)}: ${text}$`));
  await bob.until(new RegExp(`^${escape(bob.name)}: ${text}$`));
});

test("rediss:// to a certificate no trusted CA signed: exit 1, one line that points at --redis-ca, no password", async () => {
  await using redis = await startRedis({ tls });
  const secret = "never-shown-pw";
  const url = `rediss://:${secret}@127.0.0.1:${redis.port}`;
  for (const extra of [[], ["--redis-ca", certs.otherCa]]) {
    const server = run(["serve", "--port", "0", "--redis", url, ...extra]);
    expect(await server.exited).toBe(1);
    const lines = server.stderr.all.filter((l) => l !== "");
    expect(lines).toEqual([
      `chat: Redis at 127.0.0.1:${redis.port} refused the connection (a wrong or missing password, a certificate not signed by a CA this server trusts (--redis-ca), or not Redis over TLS?)`,
    ]);
    expect([...server.stdout.all, ...lines].join("\n")).not.toContain(secret);
  }
});

test("--redis-ca with a plain redis:// URL, or a file that is not there: exit 2, one line", async () => {
  const plain = run(["serve", "--port", "0", "--redis", "redis://127.0.0.1:1", "--redis-ca", certs.ca]);
  expect(await plain.exited).toBe(2);
  expect(plain.stderr.all.filter((l) => l !== "")).toEqual(["chat: --redis-ca is for a rediss:// URL (Redis over TLS)"]);
  const missing = run(["serve", "--port", "0", "--redis", "rediss://127.0.0.1:1", "--redis-ca", `${certs.dir}/none.pem`]);
  expect(await missing.exited).toBe(2);
  const lines = missing.stderr.all.filter((l) => l !== "");
  expect(lines.length).toBe(1);
  expect(lines[0]).toStartWith(`chat: cannot read --redis-ca ${certs.dir}/none.pem`);
});
