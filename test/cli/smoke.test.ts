// The shortest proof that a build works: --version, and a line from `chat connect` through `chat serve` to a raw client.
// The release check runs this file against builds it can only emulate (linux-arm64 under qemu), hence the long waits.
import { afterEach, expect, test } from "bun:test";
import pkg from "../../package.json" with { type: "json" };
import { closePeers, escape, join, run, serve, unique } from "../helpers.ts";

const EMULATED_WAIT_MS = 30_000;

afterEach(closePeers);

test("--version prints the version", async () => {
  const chat = run(["--version"], { stdin: "ignore" });
  expect(await chat.exited).toBe(0);
  expect(chat.stdout.all).toEqual([pkg.version]);
});

test("a line typed into chat connect reaches another client through chat serve, which then shuts down cleanly", async () => {
  await using server = await serve();
  const watcher = await join(server.port);
  const text = unique("smoke");
  await using client = run(["connect", `127.0.0.1:${server.port}`, "--name", "smoke"]);
  client.proc.stdin!.write(`${text}\n`);
  client.proc.stdin!.end(); // in a pipe, connect sends what it has and leaves once the input ends
  await watcher.until(new RegExp(`^smoke: ${escape(text)}$`), EMULATED_WAIT_MS);
  await client.stdout.until(new RegExp(`^smoke: ${escape(text)}$`), EMULATED_WAIT_MS);
  expect(await client.exited).toBe(0);

  expect(await server.kill("SIGTERM")).toBe(0);
  await watcher.until(/^\* server shutting down$/, EMULATED_WAIT_MS);
});
