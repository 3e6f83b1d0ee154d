// SIGINT/SIGTERM: everyone is told, queues are flushed, exit 0.
import { afterEach, expect, test } from "bun:test";
import { closePeers, join, serve } from "./helpers.ts";

afterEach(closePeers);

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  test(`${signal} with connected clients: each gets * server shutting down, is closed, and the server exits 0`, async () => {
    const server = await serve();
    const peers = await Promise.all([join(server.port), join(server.port), join(server.port)]);
    server.proc.kill(signal);
    for (const peer of peers) {
      await peer.until(/^\* server shutting down$/);
      await peer.closed;
    }
    expect(await server.exited).toBe(0);
  });
}

test("a client that never reads does not keep the server from exiting within about 2 s", async () => {
  const server = await serve();
  const stuck = await join(server.port);
  stuck.socket.pause();
  const reader = await join(server.port);
  const started = Date.now();
  server.proc.kill("SIGTERM");
  await reader.until(/^\* server shutting down$/);
  expect(await server.exited).toBe(0);
  expect(Date.now() - started).toBeLessThan(5000);
});

test("what was queued before the signal still arrives, before the goodbye", async () => {
  const server = await serve(["--rate", "0"]);
  const alice = await join(server.port);
  const bob = await join(server.port);
  const lines = Array.from({ length: 500 }, (_, i) => `queued ${i} ${"q".repeat(200)}`);
  bob.send(lines.map((l) => `${l}\n`).join(""));
  await bob.until(new RegExp(`: queued 499 `)); // the server has broadcast them all
  server.proc.kill("SIGTERM");
  await alice.until(/^\* server shutting down$/);
  const received = alice.lines.all.filter((l) => l.includes(": queued "));
  expect(received.length).toBe(500);
  expect(await server.exited).toBe(0);
});
