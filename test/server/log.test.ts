// The server's words to its operator: how to join once listening, then one line per join, leave and refusal at the
// default level (name, address, room); --log-level warn keeps them out.
import { afterEach, expect, test } from "bun:test";
import { closePeers, dial, escape, run, serve } from "../helpers.ts";

afterEach(closePeers);

/** Dials, arrives under name (sent at once), and returns the peer with its address as the server sees it. */
async function arrive(port: number, name: string) {
  const peer = await dial(port);
  peer.send(`/nick ${name}\n`);
  await peer.until(new RegExp(`^You are ${name}$`));
  return { peer, address: `127.0.0.1:${peer.socket.localPort}` };
}

test("after listening on, the server says how to join", async () => {
  await using server = await serve();
  const [line] = await server.stderr.until(/join with: .*$/);
  expect(line).toBe(`join with: chat connect 127.0.0.1:${server.port}, or nc 127.0.0.1 ${server.port}`);
  const at = server.stderr.all.findIndex((l) => l.endsWith(line!));
  expect(server.stderr.all[at - 1]).toEndWith(`listening on 127.0.0.1:${server.port}`);
});

test("one line per join and per leave, with the name, the address and the room", async () => {
  await using server = await serve(["--idle", "1s"]);
  const { peer: ann, address: annAt } = await arrive(server.port, "ann");
  await server.stderr.until(new RegExp(`ann \\(${escape(annAt)}\\) joined #main$`));
  ann.say("/quit");
  await server.stderr.until(new RegExp(`ann \\(${escape(annAt)}\\) left #main$`));
  const { address: benAt } = await arrive(server.port, "ben");
  await server.stderr.until(new RegExp(`ben \\(${escape(benAt)}\\) joined #main$`));
  await server.stderr.until(new RegExp(`ben \\(${escape(benAt)}\\) left #main \\(idle\\)$`));
});

test("one known by its address is logged by it once, not as ADDRESS (ADDRESS)", async () => {
  await using server = await serve();
  const peer = await dial(server.port);
  const [, name] = await peer.until(/^You are (.+)$/);
  const [joined] = await server.stderr.until(/^.* joined #main$/);
  expect(joined).toEndWith(`] ${name} joined #main`);
  peer.say("/quit");
  const [left] = await server.stderr.until(/^.* left #main$/);
  expect(left).toEndWith(`] ${name} left #main`);
});

test("one line per refusal: the address and why", async () => {
  await using server = await serve(["--max-clients", "1"]);
  await arrive(server.port, "only");
  const full = await dial(server.port);
  const fullPort = full.socket.localPort;
  await full.until(/^\* server is full$/);
  await server.stderr.until(new RegExp(`127\\.0\\.0\\.1:${fullPort} refused \\(full\\)$`));
  await using web = await serve();
  const curl = await dial(web.port);
  const curlPort = curl.socket.localPort;
  curl.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  await curl.closed;
  await web.stderr.until(new RegExp(`127\\.0\\.0\\.1:${curlPort} refused \\(speaks HTTP\\)$`));
});

test("--log-level warn: no line for joins, leaves, refusals or how to join", async () => {
  // Without "listening on" to read the port from, a free one is found first and the server is dialled until it answers.
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  const server = run(["serve", "--host", "127.0.0.1", "--port", String(port), "--max-clients", "1", "--log-level", "warn"], { stdin: "ignore" });
  try {
    const deadline = Date.now() + 10_000;
    let quiet: Awaited<ReturnType<typeof dial>> | undefined;
    while (!quiet) {
      quiet = await dial(port).catch(async (error) => {
        if (Date.now() > deadline) throw error;
        await Bun.sleep(50);
        return undefined;
      });
    }
    await quiet.until(/^You are /);
    const full = await dial(port);
    await full.until(/^\* server is full$/);
    quiet.say("/quit");
    await quiet.closed;
  } finally {
    await server.kill();
  }
  expect(server.stderr.all.filter((line) => / joined | left | refused |join with/.test(line))).toEqual([]);
});
