// Operators over real sockets: /op from CHAT_OP_PASSWORD or a file, kick, mute, ban, and bans that survive a restart with --state.
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as joinPath } from "node:path";
import { closePeers, join, run, serve, unique } from "../helpers.ts";
import { dialFrom } from "../secure.ts";

let dir: string;
beforeAll(() => void (dir = mkdtempSync(joinPath(tmpdir(), "chat-ops-"))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(closePeers);

const OPS = { CHAT_OP_PASSWORD: "op-secret" };

async function operator(port: number) {
  const op = await join(port);
  op.say("/op op-secret");
  await op.until(/^\* you are an operator$/);
  return op;
}

/** A client from another loopback address, in the room under a name of its own. */
async function visitor(port: number, from: string, name: string) {
  const peer = dialFrom(port, from);
  await peer.until(/^You are /);
  peer.say(`/nick ${name}`);
  await peer.until(new RegExp(`is now known as ${name}$`));
  return peer;
}

test("/kick: everyone sees NAME has left (kicked), and NAME is told why and closed", async () => {
  await using server = await serve(["--rate", "0"], OPS);
  const op = await operator(server.port);
  const watcher = await join(server.port);
  const troll = await visitor(server.port, "127.0.0.2", "troll");
  op.say("/kick troll enough");
  await watcher.until(/^troll has left \(kicked\)$/);
  await op.until(/^troll has left \(kicked\)$/);
  await troll.until(/^\* you were kicked by .+: enough$/);
  await troll.closed;
});

test("/op from --op-password-file; a non-operator cannot kick", async () => {
  const file = joinPath(dir, "op-password");
  writeFileSync(file, "from-file\n");
  await using server = await serve(["--op-password-file", file]);
  const alice = await join(server.port);
  const bob = await join(server.port);
  bob.say(`/kick ${alice.name}`);
  await bob.until(/^\* only operators can do that$/);
  alice.say("/op from-file");
  await alice.until(/^\* you are an operator$/);
});

test("/mute: announced to everyone; the muted member's lines reach nobody", async () => {
  await using server = await serve(["--rate", "0"], OPS);
  const op = await operator(server.port);
  const loud = await visitor(server.port, "127.0.0.2", "loud");
  op.say("/mute loud 1h");
  await op.until(/^\* loud has been muted for 1h$/);
  await loud.until(/^\* loud has been muted for 1h$/);
  const hidden = unique("hidden");
  loud.say(hidden);
  await loud.until(/^\* you are muted$/);
  op.say("/unmute loud");
  await op.until(/^\* loud may talk again$/);
  const heard = unique("heard");
  loud.say(heard);
  await op.until(new RegExp(`^loud: ${heard}$`));
  expect(op.lines.all.some((l) => l.includes(hidden))).toBe(false);
});

test("/ban NAME with --state: the address is kept out, also after a restart; /unban lets it in", async () => {
  const state = joinPath(dir, "bans.json");
  const args = ["--state", state, "--rate", "0"];
  {
    await using server = await serve(args, OPS);
    const op = await operator(server.port);
    const troll = await visitor(server.port, "127.0.0.2", "troll");
    op.say("/ban troll");
    await op.until(/^\* banned 127\.0\.0\.2$/);
    await op.until(/^troll has left \(banned\)$/);
    await troll.until(/^\* you were banned by /);
    await troll.closed;
    const again = dialFrom(server.port, "127.0.0.2");
    await again.until(/^\* you are banned$/);
    await again.closed;
  }
  expect(JSON.parse(readFileSync(state, "utf8"))).toEqual({ version: 1, bans: [{ range: "127.0.0.2", label: "troll" }] });
  {
    await using server = await serve(args, OPS);
    const again = dialFrom(server.port, "127.0.0.2");
    await again.until(/^\* you are banned$/);
    await again.closed;
    expect(again.lines.all).toEqual(["* you are banned"]);
    const other = dialFrom(server.port, "127.0.0.3");
    await other.until(/^You are 127\.0\.0\.3:/);
    other.close();
    const op = await operator(server.port);
    op.say("/bans");
    await op.until(/^\* Bans: 127\.0\.0\.2 \(troll\)$/);
    op.say("/unban troll");
    await op.until(/^\* unbanned 127\.0\.0\.2$/);
    const back = dialFrom(server.port, "127.0.0.2");
    await back.until(/^You are 127\.0\.0\.2:/);
    back.close();
  }
  expect(JSON.parse(readFileSync(state, "utf8"))).toEqual({ version: 1, bans: [] });
});

test("/ban CIDR puts out everyone in the range at once", async () => {
  await using server = await serve([], OPS);
  const op = await operator(server.port);
  const a = await visitor(server.port, "127.0.0.2", "a2");
  const b = await visitor(server.port, "127.0.0.3", "a3");
  op.say("/ban 127.0.0.0/30 10m"); // .0 to .3, which holds the operator's 127.0.0.1: refused
  await op.until(/^\* 127\.0\.0\.0\/30 holds your own address$/);
  op.say("/ban 127.0.0.2/31 10m"); // .2 and .3
  await op.until(/^\* banned 127\.0\.0\.2\/31 for 10m$/);
  await a.closed;
  await b.closed;
  await op.until(/^a2 has left \(banned\)$/);
  await op.until(/^a3 has left \(banned\)$/);
});

test("a corrupt --state file stops the start with one line, and is left as it was", async () => {
  const state = joinPath(dir, "corrupt.json");
  writeFileSync(state, "{ not json");
  const chat = run(["serve", "--port", "0", "--state", state], { stdin: "ignore" });
  expect(await chat.exited).toBe(1);
  expect(chat.stderr.all).toEqual([`chat: the --state file ${state} is corrupt: not valid JSON; fix or remove it`]);
  expect(readFileSync(state, "utf8")).toBe("{ not json");
});

test("a --state file that cannot be written stops the start", async () => {
  const state = joinPath(dir, "no-such-dir", "state.json");
  const chat = run(["serve", "--port", "0", "--state", state], { stdin: "ignore" });
  expect(await chat.exited).toBe(1);
  expect(chat.stderr.all).toEqual([`chat: cannot write --state ${state}: no such directory`]);
});
