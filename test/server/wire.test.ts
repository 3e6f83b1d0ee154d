// The wire as a real network delivers it: split lines, packed lines, \r\n, broken UTF-8, control bytes, resets.
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { closePeers, dial, escape, join, serve, unique, type Server } from "../helpers.ts";

let server: Server;
beforeAll(async () => void (server = await serve(["--rate", "0"])));
afterAll(() => server.kill());
afterEach(closePeers);

const said = (name: string, text: string) => new RegExp(`^${escape(name)}: ${escape(text)}$`);

test("a line split over many segments arrives whole", async () => {
  const alice = await join(server.port);
  const bob = await join(server.port);
  const text = unique("split");
  for (const ch of `${text}\n`) {
    bob.send(ch);
    await Bun.sleep(1); // separate writes: separate segments (with Nagle off on our side)
  }
  await alice.until(said(bob.name, text));
});

test("many lines in one segment arrive as many lines, in order", async () => {
  const alice = await join(server.port);
  const bob = await join(server.port);
  const texts = Array.from({ length: 20 }, () => unique("packed"));
  bob.send(texts.map((t) => `${t}\n`).join(""));
  for (const text of texts) await alice.until(said(bob.name, text));
});

test("\\r\\n is a line end too", async () => {
  // Lines drops a \r before \n itself: a JSON watcher sees the text exactly as the server has it.
  const watcher = await join(server.port);
  watcher.say("/mode json");
  await watcher.until(/^\{"type":"welcome"/);
  const bob = await join(server.port);
  const text = unique("crlf");
  bob.send(`${text}\r\n`);
  const event = JSON.parse((await watcher.until(new RegExp(`^\\{"type":"message".*${text}`))).input!);
  expect(event).toMatchObject({ type: "message", from: bob.name });
  expect(event.text).toBe(text);
});

test("a multi-byte character split between segments survives", async () => {
  const alice = await join(server.port);
  const bob = await join(server.port);
  const text = `${unique("utf8")} 日本語 é 🙂`;
  const bytes = new TextEncoder().encode(`${text}\n`);
  const cut = bytes.indexOf(0xe6) + 1; // inside 日
  bob.send(bytes.subarray(0, cut));
  await Bun.sleep(5);
  bob.send(bytes.subarray(cut, cut + 5));
  await Bun.sleep(5);
  bob.send(bytes.subarray(cut + 5));
  await alice.until(said(bob.name, text));
});

test("invalid UTF-8 becomes U+FFFD", async () => {
  const alice = await join(server.port);
  const bob = await join(server.port);
  const tag = unique("bad");
  bob.send(new Uint8Array([...new TextEncoder().encode(`${tag} `), 0xff, 0xc3, 0x28, 0x0a]));
  await alice.until(said(bob.name, `${tag} \ufffd\ufffd(`));
});

test("NUL bytes, control characters, ANSI escapes and bidi overrides are stripped", async () => {
  const alice = await join(server.port);
  const bob = await join(server.port);
  const tag = unique("ctl");
  bob.send(`\x1b[2J\x1b[31m${tag}\x00 red\x1b[0m\x07\x7f\u202e text\x1b]0;title\x07\u0085!\n`);
  await alice.until(said(bob.name, `${tag} red text!`));
});

test("a line that is empty after cleaning is ignored", async () => {
  const alice = await join(server.port);
  const bob = await join(server.port);
  bob.send("\x1b[31m\x00\x1b[0m\n   \n\n");
  const after = unique("after-empty");
  bob.say(after);
  await alice.until(said(bob.name, after));
  const fromBob = alice.lines.all.filter((l) => l.startsWith(`${bob.name}:`));
  expect(fromBob).toEqual([`${bob.name}: ${after}`]);
});

test("tabs are kept", async () => {
  const alice = await join(server.port);
  const bob = await join(server.port);
  const tag = unique("tab");
  bob.say(`${tag}\ta\tb`);
  await alice.until(said(bob.name, `${tag}\ta\tb`));
});

test("a client that connects and sends nothing is greeted and harms nobody", async () => {
  const silent = await join(server.port);
  const alice = await join(server.port);
  const bob = await join(server.port);
  const text = unique();
  bob.say(text);
  await alice.until(said(bob.name, text));
  await silent.until(said(bob.name, text));
});

test("a client that disconnects mid-line: the half line is its last line, then it has left", async () => {
  const alice = await join(server.port);
  const bob = await join(server.port);
  const tag = unique("half");
  bob.send(`${tag} unfinished`);
  await Bun.sleep(20);
  bob.socket.shutdown(); // FIN after a line with no \n
  await alice.until(said(bob.name, `${tag} unfinished`));
  await alice.until(new RegExp(`^${escape(bob.name)} has left$`));
});

test("a client that resets the connection has left, and the room goes on", async () => {
  const alice = await join(server.port);
  const bob = await join(server.port);
  bob.send("half a line");
  bob.close(); // terminate(): RST
  await alice.until(new RegExp(`^${escape(bob.name)} has left$`));
  const carol = await join(server.port);
  const text = unique();
  carol.say(text);
  await alice.until(said(carol.name, text));
  expect(alice.lines.all.some((l) => l.includes("half a line"))).toBe(false);
});

test("the sender of a finished input still gets its own last lines before the server closes", async () => {
  const bob = await join(server.port);
  const text = unique("last");
  bob.send(`${text}\n`);
  bob.socket.shutdown();
  await bob.until(said(bob.name, text));
  await bob.closed;
});

test("a web request is answered 400 and closed, and never said in the room or kept in its history", async () => {
  const alice = await join(server.port);
  const browser = await dial(server.port);
  browser.send("GET /index.html HTTP/1.1\r\nHost: chat.example\r\nUser-Agent: probe\r\n\r\n");
  await browser.until(/^HTTP\/1\.1 400 Bad Request$/);
  await browser.until(/^This is a chat server, not a web server: join with chat connect HOST:PORT, nc or telnet\.$/);
  await browser.closed;
  const marker = unique("after-web");
  alice.say(marker);
  await alice.until(said(alice.name, marker));
  expect(alice.lines.all.filter((l) => /GET|Host:|User-Agent/.test(l))).toEqual([]);
  const newcomer = await join(server.port);
  newcomer.say(marker);
  await newcomer.until(said(newcomer.name, marker));
  expect(newcomer.lines.all.filter((l) => /GET|Host:|User-Agent/.test(l))).toEqual([]);
});

test("a line that only looks like the start of a web request is chat", async () => {
  const alice = await join(server.port);
  const bob = await join(server.port);
  bob.say("GET this: HTTP is old");
  bob.say("GET / HTTP/1.1");
  await alice.until(/: GET this: HTTP is old$/);
  await alice.until(/: GET \/ HTTP\/1\.1$/); // not its first words: it has already spoken
});
