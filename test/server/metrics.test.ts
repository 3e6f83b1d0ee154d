// --metrics (Prometheus text and /healthz over HTTP) and --log-format json.
import { afterEach, expect, test } from "bun:test";
import { closePeers, join, run, serve } from "../helpers.ts";
import { dialFrom } from "../secure.ts";

afterEach(closePeers);

/** `name{labels} value` lines as a map. */
function samples(text: string): Map<string, number> {
  const map = new Map<string, number>();
  for (const line of text.split("\n")) {
    const m = /^(chat_[a-z_]+(?:\{[^}]*\})?) (\d+(?:\.\d+)?)$/.exec(line);
    if (m) map.set(m[1]!, Number(m[2]));
  }
  return map;
}

test("--metrics serves /metrics and /healthz; the counters follow what happens", async () => {
  await using server = await serve(["--metrics", "127.0.0.1:0", "--deny", "127.0.0.2", "--rate", "0"]);
  const [, base] = await server.stderr.until(/^\S+ metrics on (http:\/\/127\.0\.0\.1:\d+)\/metrics$/);
  const scrape = async () => {
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toStartWith("text/plain; version=0.0.4");
    return samples(await response.text());
  };

  const health = await fetch(`${base}/healthz`);
  expect([health.status, await health.text()]).toEqual([200, "ok\n"]);
  expect((await fetch(`${base}/other`)).status).toBe(404);

  const before = await scrape();
  expect(before.get("chat_clients")).toBe(0);
  const alice = await join(server.port);
  const bob = await join(server.port);
  const denied = dialFrom(server.port, "127.0.0.2");
  await denied.closed;
  bob.say("counted");
  await alice.until(/: counted$/);
  await bob.until(/: counted$/);
  const during = await scrape();
  expect(during.get("chat_clients")).toBe(2);
  expect(during.get("chat_connections_accepted_total")).toBe(2);
  expect(during.get('chat_connections_refused_total{reason="denied"}')).toBe(1);
  expect(during.get('chat_connections_refused_total{reason="full"}')).toBe(0);
  expect(during.get("chat_lines_in_total")).toBe(1);
  // alice: welcome, bob's arrival, the line; bob: welcome (with Present), the line.
  expect(during.get("chat_deliveries_total")).toBe(5);
  expect(during.get("chat_bytes_out_total")).toBeGreaterThan(0);
  expect(during.get("chat_history_lines")).toBe(1);
  expect(during.get("chat_queued_bytes")).toBe(0);

  bob.close();
  await alice.until(/has left$/);
  alice.say("/quit");
  await alice.closed;
  let after = await scrape();
  // The server counts a disconnect when the socket closes, which may come a moment after the goodbye.
  for (let i = 0; i < 50 && after.get('chat_disconnects_total{reason="quit"}') !== 1; i++) {
    await Bun.sleep(20);
    after = await scrape();
  }
  expect(after.get("chat_clients")).toBe(0);
  expect(after.get('chat_disconnects_total{reason="closed"}')).toBe(1);
  expect(after.get('chat_disconnects_total{reason="quit"}')).toBe(1);
});

test("--metrics on a port in use: one line, exit 1", async () => {
  const taken = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  try {
    const chat = run(["serve", "--host", "127.0.0.1", "--port", "0", "--metrics", `127.0.0.1:${taken.port}`], { stdin: "ignore" });
    expect(await chat.exited).toBe(1);
    expect(chat.stderr.all.at(-1)).toBe(`chat: --metrics: port ${taken.port} is already in use`);
  } finally {
    taken.stop(true);
  }
});

test("--log-format json: every log line is one JSON object", async () => {
  const chat = run(["serve", "--host", "127.0.0.1", "--port", "0", "--log-format", "json"], { stdin: "ignore" });
  const [line] = await chat.stderr.until(/^.*listening on.*$/);
  const entry = JSON.parse(line!);
  expect(entry).toEqual({ time: expect.any(String), level: "info", message: expect.stringMatching(/^listening on 127\.0\.0\.1:\d+$/) });
  expect(new Date(entry.time).toISOString()).toBe(entry.time);
  expect(await chat.kill()).toBe(0);
  expect(chat.stderr.all.length).toBeGreaterThan(1);
  for (const l of chat.stderr.all) expect(JSON.parse(l)).toMatchObject({ level: expect.any(String), message: expect.any(String) });
});

test("CHAT_LOG_FORMAT is the twin; a bad format is exit 2", async () => {
  const chat = run(["serve", "--host", "127.0.0.1", "--port", "0"], { stdin: "ignore", env: { CHAT_LOG_FORMAT: "json" } });
  const [line] = await chat.stderr.until(/^.*listening on.*$/);
  expect(JSON.parse(line!).level).toBe("info");
  await chat.kill();
  const bad = run(["serve", "--log-format", "xml"], { stdin: "ignore" });
  expect(await bad.exited).toBe(2);
  expect(bad.stderr.all[0]).toBe('chat: bad --log-format: expected human or json, not "xml"');
});
