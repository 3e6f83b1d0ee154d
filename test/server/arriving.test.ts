// Arriving: the lines a newcomer sends at once on connecting (/mode json, /nick NAME) are applied before anyone hears of
// it, so it is announced once, under its name; a web or TLS client on the chat port is turned away before the room says a word.
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { closePeers, dial, escape, join, serve, unique, type Peer, type Server } from "../helpers.ts";

let server: Server;
beforeAll(async () => {
  server = await serve(["--rate", "0"]);
});
afterAll(() => server.kill());
afterEach(closePeers);

/** A name no other test uses (names are at most 32 characters). */
const freshName = (label: string) => `${label}${Math.random().toString(36).slice(2, 10)}`;

/** The lines peer received after index `from`, up to and including the one matching re. */
async function linesUntil(peer: Peer, from: number, re: RegExp): Promise<string[]> {
  await peer.until(re);
  const all = peer.lines.all;
  const end = all.findIndex((line, i) => i >= from && re.test(line));
  return all.slice(from, end + 1);
}

test("/nick NAME sent at once: welcomed as NAME, announced once as NAME, its address never shown", async () => {
  const alice = await join(server.port);
  const seen = alice.lines.all.length;
  const name = freshName("bob");
  const bob = await dial(server.port);
  bob.send(`/nick ${name}\n`);
  await bob.until(new RegExp(`^You are ${name}$`));
  const marker = unique("after-arriving");
  bob.say(marker);
  // Everything alice heard of bob, from before he came to his first line: his arrival, under his name, and nothing else.
  const heard = await linesUntil(alice, seen, new RegExp(`^${name}: ${marker}$`));
  expect(heard).toEqual([`${name} has arrived`, `${name}: ${marker}`]);
  await bob.until(new RegExp(`^${name}: ${marker}$`)); // all bob was told of his arrival came before his own line
  expect(bob.lines.all.some((line) => line.includes(`127.0.0.1:${bob.socket.localPort}`))).toBe(false);
});

test("/mode json and /nick NAME in one write: the first line is the JSON welcome under NAME", async () => {
  const alice = await join(server.port);
  const seen = alice.lines.all.length;
  const name = freshName("json");
  const bot = await dial(server.port);
  bot.send(`/mode json\n/nick ${name}\n`);
  const [first] = await bot.until(/^.+$/);
  expect(JSON.parse(first!)).toMatchObject({ type: "welcome", name });
  expect(JSON.parse(first!).present).toContainEqual(expect.objectContaining({ name: alice.name }));
  const marker = unique("json-arrived");
  bot.say(marker);
  const heard = await linesUntil(alice, seen, new RegExp(`^${name}: ${marker}$`));
  expect(heard).toEqual([`${name} has arrived`, `${name}: ${marker}`]);
});

test("opening lines cut between two writes still count; the first other line lets it in and is said", async () => {
  const alice = await join(server.port);
  const name = freshName("cut");
  const peer = await dial(server.port);
  const text = unique("first-words");
  await peer.sendAll(`/mode plain\n/ni`);
  await peer.sendAll(`ck ${name}\n${text}\n`);
  await peer.until(new RegExp(`^You are ${name}$`));
  await alice.until(new RegExp(`^${name} has arrived$`));
  await alice.until(new RegExp(`^${name}: ${text}$`));
  expect(alice.lines.all.filter((line) => line.includes("is now known as") && line.endsWith(name))).toEqual([]);
});

test("a taken first /nick: it arrives under its address, and the refusal comes after the welcome", async () => {
  const taken = freshName("alice");
  const alice = await dial(server.port);
  alice.send(`/nick ${taken}\n`);
  await alice.until(new RegExp(`^You are ${taken}$`));
  const peer = await dial(server.port);
  peer.send(`/nick ${taken}\n`);
  const [, name] = await peer.until(/^You are (.+)$/);
  expect(name).toBe(`127.0.0.1:${peer.socket.localPort}`);
  await peer.until(new RegExp(`^\\* name ${taken} is taken$`));
  await alice.until(new RegExp(`^${escape(name!)} has arrived$`));
});

test("an invalid first /nick: the default name, then the reason; in JSON mode with its code", async () => {
  const peer = await dial(server.port);
  peer.send(`/mode json\n/nick bad:name\n`);
  const [welcome] = await peer.until(/^\{"type":"welcome".*\}$/);
  expect(JSON.parse(welcome!).name).toBe(`127.0.0.1:${peer.socket.localPort}`);
  const [notice] = await peer.until(/^\{"type":"notice".*\}$/);
  expect(JSON.parse(notice!)).toMatchObject({ type: "notice", code: "name_invalid", name: "bad:name" });
  expect(JSON.parse(notice!).text).toStartWith('cannot use the name "bad:name"');
});

test("someone who says nothing (nc) is greeted all the same", async () => {
  const peer = await dial(server.port);
  await peer.until(/^You are 127\.0\.0\.1:\d+$/);
});

test("the lines behind a password's answer count as the first ones: arrives under its name", async () => {
  await using locked = await serve(["--rate", "0"], { CHAT_PASSWORD: "sesame" });
  const alice = await dial(locked.port);
  await alice.until(/^\* password:$/);
  alice.say("sesame");
  await alice.until(/^You are /);
  const name = freshName("pw");
  const peer = await dial(locked.port);
  await peer.until(/^\* password:$/);
  peer.send(`sesame\n/nick ${name}\n`);
  await peer.until(new RegExp(`^You are ${name}$`));
  await alice.until(new RegExp(`^${name} has arrived$`));
});

test("curl on the chat port gets the 400 and nothing of the room; the room never hears of it", async () => {
  const alice = await join(server.port);
  const seen = alice.lines.all.length;
  await using curl = Bun.spawn(["curl", "-s", "-i", "--http0.9", "--max-time", "5", `http://127.0.0.1:${server.port}/`], { stdout: "pipe", stderr: "pipe" });
  const [out, code] = await Promise.all([curl.stdout.text(), curl.exited]);
  expect(code).toBe(0);
  expect(out).toStartWith("HTTP/1.1 400 Bad Request\r\n");
  expect(out).toContain("This is a chat server, not a web server");
  expect(out).not.toContain("You are");
  // The next thing alice hears is the next newcomer: nothing came and went before it.
  const carol = await join(server.port);
  expect(await linesUntil(alice, seen, new RegExp(`^${escape(carol.name)} has arrived$`))).toEqual([`${carol.name} has arrived`]);
});

test("a TLS client on the plain port gets one plain line and the close; the room never hears of it", async () => {
  const alice = await join(server.port);
  const seen = alice.lines.all.length;
  const tls = await dial(server.port);
  // The head of a ClientHello: a handshake record (0x16), TLS 1.0 on the record layer.
  tls.send(new Uint8Array([0x16, 0x03, 0x01, 0x00, 0x2f, 0x01, 0x00, 0x00, 0x2b, 0x03, 0x03]));
  await tls.closed;
  expect(tls.lines.all).toEqual(["* this port speaks plain text, not TLS"]);
  const carol = await join(server.port);
  expect(await linesUntil(alice, seen, new RegExp(`^${escape(carol.name)} has arrived$`))).toEqual([`${carol.name} has arrived`]);
});

test("/join #room sent at once: it arrives in that room under its name, and #main never hears of it", async () => {
  const alice = await join(server.port);
  const seen = alice.lines.all.length;
  const room = freshName("den");
  const carol = await dial(server.port);
  carol.send(`/join #${room}\n`);
  await carol.until(/^You are /);
  const name = freshName("dan");
  const dan = await dial(server.port);
  dan.send(`/nick ${name}\n/join #${room}\n`);
  await dan.until(new RegExp(`^You are ${name}$`));
  await carol.until(new RegExp(`^${name} has arrived$`));
  const marker = unique("in-the-den");
  dan.say(marker);
  await carol.until(new RegExp(`^${name}: ${marker}$`));
  // Carol's own arrival in #main would have been the first thing alice heard; the next newcomer to #main is.
  const erin = await join(server.port);
  expect(await linesUntil(alice, seen, new RegExp(`^${escape(erin.name)} has arrived$`))).toEqual([`${erin.name} has arrived`]);
});
