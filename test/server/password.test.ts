// The room password: asked of plain clients, answered by chat connect, three tries, a pause, and nothing seen before one is in.
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as joinPath } from "node:path";
import { chatConnect, closePeers, dial, escape, join, run, serve, unique, type Server } from "../helpers.ts";

const PASSWORD = "open sesame";
let server: Server;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(joinPath(tmpdir(), "chat-password-"));
  server = await serve(["--rate", "0"], { CHAT_PASSWORD: PASSWORD });
});
afterAll(async () => {
  await server.kill();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(closePeers);

/** A raw client past the password. */
async function enter(port = server.port) {
  const peer = await dial(port);
  await peer.until(/^\* password:$/);
  peer.say(PASSWORD);
  peer.name = (await peer.until(/^You are (.+)$/))[1]!;
  return peer;
}

test("a plain client is asked for the password first and is in once it answers", async () => {
  const peer = await dial(server.port);
  await peer.until(/^\* password:$/);
  expect(peer.lines.all).toEqual(["* password:"]);
  peer.say(PASSWORD);
  await peer.until(/^You are 127\.0\.0\.1:\d+$/);
});

test("three wrong answers close the connection, with a pause after each even when sent at once", async () => {
  const peer = await dial(server.port);
  await peer.until(/^\* password:$/);
  const started = Date.now();
  peer.send("guess-1\nguess-2\nguess-3\nguess-4\n");
  await peer.closed;
  const took = Date.now() - started;
  expect(peer.lines.all).toEqual(["* password:", "* wrong password", "* password:", "* wrong password", "* password:", "* wrong password"]);
  // Three pauses of a second: a guesser gets at most three guesses per connection and three seconds.
  expect(took).toBeGreaterThanOrEqual(2900);
});

test("a wrong answer, then the right one: in", async () => {
  const peer = await dial(server.port);
  await peer.until(/^\* password:$/);
  peer.say("wrong");
  await peer.until(/^\* wrong password$/);
  await peer.until(/^\* password:$/);
  peer.say(PASSWORD);
  await peer.until(/^You are /);
});

test("lines sent in the same write as the password are said in the room, in order", async () => {
  const alice = await enter();
  const peer = await dial(server.port);
  await peer.until(/^\* password:$/);
  const [first, second] = [unique("right-behind"), unique("and-then")];
  peer.send(`${PASSWORD}\n${first}\n${second}\n`);
  const [, name] = await peer.until(/^You are (.+)$/);
  await alice.until(new RegExp(`^${escape(name!)} has arrived$`));
  await alice.until(new RegExp(`^${escape(name!)}: ${first}$`));
  await alice.until(new RegExp(`^${escape(name!)}: ${second}$`));
  await peer.until(new RegExp(`^${escape(name!)}: ${second}$`));
  const said = peer.lines.all.filter((l) => l.startsWith(`${name}: `));
  expect(said).toEqual([`${name}: ${first}`, `${name}: ${second}`]);
});

test("a client that sends a wrong answer, the right one and a line, then closes its side: all of it is heard", async () => {
  const alice = await enter();
  const peer = await dial(server.port);
  await peer.until(/^\* password:$/);
  const text = unique("last-words");
  peer.send(`wrong\n${PASSWORD}\n${text}`); // the last line has no newline
  peer.socket.shutdown();
  await peer.until(/^\* wrong password$/);
  const [, name] = await peer.until(/^You are (.+)$/);
  await alice.until(new RegExp(`^${escape(name!)}: ${text}$`));
  await peer.until(new RegExp(`^${escape(name!)}: ${text}$`));
  await alice.until(new RegExp(`^${escape(name!)} has left$`));
  await peer.closed;
});

test("a client that closes its side after a wrong answer gets the refusal, then the connection closes", async () => {
  const peer = await dial(server.port);
  await peer.until(/^\* password:$/);
  peer.send("wrong\n");
  peer.socket.shutdown();
  await peer.closed;
  expect(peer.lines.all).toEqual(["* password:", "* wrong password", "* password:"]);
});

test("before the password nothing reaches the newcomer and nobody learns of it", async () => {
  const alice = await enter();
  const waiting = await dial(server.port);
  await waiting.until(/^\* password:$/);
  const text = unique("private");
  alice.say(text);
  await alice.until(new RegExp(`^${escape(alice.name)}: ${text}$`));
  alice.say("/who");
  const [, present] = await alice.until(/^\* Present: (.+)$/);
  expect(present!.split(", ")).not.toContain(`127.0.0.1:${waiting.socket.localPort}`);
  waiting.say(PASSWORD);
  const [, name] = await waiting.until(/^You are (.+)$/);
  await alice.until(new RegExp(`^${escape(name!)} has arrived$`));
  // The line said while it waited comes only as history, after the welcome.
  await waiting.until(new RegExp(`^\\[\\d\\d:\\d\\d\\] ${escape(alice.name)}: ${text}$`));
  const live = waiting.lines.all.findIndex((l) => l === `${alice.name}: ${text}`);
  expect(live).toBe(-1);
  expect(waiting.lines.all[0]).toBe("* password:");
  expect(waiting.lines.all[1]).toBe(`You are ${name}`);
});

test("an answer with the password's words in another order, or a prefix of it, is wrong", async () => {
  const guesses = ["sesame open", "open", `${PASSWORD} `, PASSWORD.toUpperCase(), `${PASSWORD}${PASSWORD}`];
  await Promise.all(
    guesses.map(async (guess) => {
      const peer = await dial(server.port);
      await peer.until(/^\* password:$/);
      peer.say(guess);
      await peer.until(/^\* wrong password$/);
    }),
  );
});

test("a client that never answers is closed after --login-timeout", async () => {
  await using quick = await serve(["--login-timeout", "500ms"], { CHAT_PASSWORD: PASSWORD });
  const peer = await dial(quick.port);
  await peer.until(/^\* password:$/);
  await peer.closed;
  expect(peer.lines.all).toEqual(["* password:"]);
});

test("chat connect answers with CHAT_PASSWORD", async () => {
  const watcher = await enter();
  const text = unique("env-password");
  const { code, stdout, stderr } = await chatConnect(server.port, ["--name", "envpw"], `${text}\n`, { CHAT_PASSWORD: PASSWORD });
  expect(stderr).toEqual([]);
  expect(code).toBe(0);
  expect(stdout).toContain(`envpw: ${text}`);
  await watcher.until(new RegExp(`^envpw: ${text}$`));
});

test("chat connect answers with --password-file; its final newline is not part of it", async () => {
  const file = joinPath(dir, "password");
  writeFileSync(file, `${PASSWORD}\n`);
  const text = unique("file-password");
  const { code, stdout } = await chatConnect(server.port, ["--password-file", file, "--name", "filepw"], `${text}\n`);
  expect(code).toBe(0);
  expect(stdout).toContain(`filepw: ${text}`);
});

test("chat connect with a wrong password: one line, exit 1", async () => {
  const { code, stdout, stderr } = await chatConnect(server.port, [], "never-sent\n", { CHAT_PASSWORD: "not it" });
  expect(code).toBe(1);
  expect(stdout).toEqual([]);
  expect(stderr).toEqual(["chat: wrong password"]);
});

test("chat connect without a password: one line that says where to put it, exit 1", async () => {
  const { code, stderr } = await chatConnect(server.port, [], "hi\n", { CHAT_PASSWORD: "" });
  expect(code).toBe(1);
  expect(stderr).toEqual(["chat: this room needs a password: set CHAT_PASSWORD or use --password-file"]);
});

test("chat connect never sends its password to a room that does not ask for one", async () => {
  await using open = await serve(["--rate", "0"]);
  const watcher = await join(open.port);
  const secret = unique("secret");
  const text = unique("after");
  const { code } = await chatConnect(open.port, ["--name", "careful"], `${text}\n`, { CHAT_PASSWORD: secret });
  expect(code).toBe(0);
  await watcher.until(new RegExp(`^careful: ${text}$`));
  expect(watcher.lines.all.some((l) => l.includes(secret))).toBe(false);
});

test("serve --password-file works like CHAT_PASSWORD", async () => {
  const file = joinPath(dir, "room");
  writeFileSync(file, "from-a-file\r\n");
  await using locked = await serve(["--password-file", file]);
  const peer = await dial(locked.port);
  await peer.until(/^\* password:$/);
  peer.say("from-a-file");
  await peer.until(/^You are /);
});

for (const [args, message] of [
  [["--password", "x"], "chat: unknown option --password; did you mean --password-file?"],
  [["--password-file", "/no/such/file"], "chat: cannot read --password-file /no/such/file: no such directory"],
  [["--op-password-file", "/no/such/file"], "chat: cannot read --op-password-file /no/such/file: no such directory"],
  [["--login-timeout", "0"], "chat: bad --login-timeout: must be more than 0"],
] as const) {
  test(`serve ${args.join(" ")}: "${message}", exit 2`, async () => {
    const chat = run(["serve", "--port", "0", ...args], { stdin: "ignore" });
    expect(await chat.exited).toBe(2);
    expect(chat.stderr.all[0]).toBe(message);
  });
}

test("an empty password file is refused", async () => {
  const file = joinPath(dir, "empty");
  writeFileSync(file, "\n");
  const chat = run(["serve", "--port", "0", "--password-file", file], { stdin: "ignore" });
  expect(await chat.exited).toBe(2);
  expect(chat.stderr.all[0]).toBe(`chat: --password-file ${file} is empty`);
});
