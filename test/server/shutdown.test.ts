// SIGINT/SIGTERM: everyone is told, queues are flushed, exit 0.
import { afterEach, expect, test } from "bun:test";
import { closePeers, escape, join, serve, type Peer } from "../helpers.ts";

afterEach(closePeers);

/**
 * More than the kernel holds for a client that does not read (its receive buffer, 128 KiB to start, and the
 * server's send buffer, at most net.ipv4.tcp_wmem's 4 MiB): the rest waits in the server's queue for it.
 */
const FLOOD_LINES = 8000;
const PAD = "f".repeat(1000);

/** The sender says FLOOD_LINES lines of about 1 KB and waits for its own echo of the last: the server has broadcast them all. */
async function flood(sender: Peer, label: string): Promise<string[]> {
  const lines = Array.from({ length: FLOOD_LINES }, (_, i) => `${label} ${i} ${PAD}`);
  await sender.sendAll(lines.map((l) => `${l}\n`).join(""));
  await sender.until(new RegExp(`^${escape(sender.name)}: ${label} ${FLOOD_LINES - 1} `), 30_000);
  return lines.map((l) => `${sender.name}: ${l}`);
}

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
  const server = await serve(["--rate", "0", "--max-queue", "64MiB"]);
  const stuck = await join(server.port);
  stuck.socket.pause();
  const reader = await join(server.port);
  await flood(reader, "stuck"); // the stuck client's queue is full of lines it will never read
  const started = Date.now();
  server.proc.kill("SIGTERM");
  await reader.until(/^\* server shutting down$/);
  expect(await server.exited).toBe(0);
  expect(Date.now() - started).toBeLessThan(3000);
}, 60_000);

test("what was queued before the signal still arrives, before the goodbye", async () => {
  const server = await serve(["--rate", "0", "--max-queue", "64MiB"]);
  const alice = await join(server.port);
  alice.socket.pause(); // alice reads nothing more until the signal: what bob says waits for her
  const bob = await join(server.port);
  const sent = await flood(bob, "queued");
  server.proc.kill("SIGTERM");
  alice.socket.resume();
  await alice.until(/^\* server shutting down$/, 10_000);
  await alice.closed;
  const all = alice.lines.all;
  const received = all.filter((l) => l.includes(": queued "));
  expect(received.length).toBe(sent.length);
  expect(received).toEqual(sent);
  expect(all.indexOf("* server shutting down")).toBeGreaterThan(all.lastIndexOf(sent.at(-1)!));
  expect(await server.exited).toBe(0);
}, 60_000);
