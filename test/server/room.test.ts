// People in the room: every command, name rules, presence, history, the motd and JSON mode, over real sockets.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as joinPath } from "node:path";
import { closePeers, dial, escape, join, joinAs, serve, unique, type Peer, type Server } from "../helpers.ts";

let server: Server;
beforeAll(async () => void (server = await serve(["--rate", "0"])));
afterAll(() => server.kill());
afterEach(closePeers);

/** Joins and takes a name unique to the test. */
const person = (label: string, port = server.port): Promise<Peer> => joinAs(port, label);

describe("/nick", () => {
  test("everyone sees OLD is now known as NEW, and the new name is used", async () => {
    const alice = await join(server.port);
    const bob = await join(server.port);
    const name = unique("nick").slice(0, 32);
    bob.say(`/nick ${name}`);
    await alice.until(new RegExp(`^${escape(bob.name)} is now known as ${name}$`));
    await bob.until(new RegExp(`^${escape(bob.name)} is now known as ${name}$`));
    bob.say("after the rename");
    await alice.until(new RegExp(`^${name}: after the rename$`));
  });

  test("a taken name is refused with a reason, whatever its case", async () => {
    const alice = await person("Taken");
    const bob = await join(server.port);
    bob.say(`/nick ${alice.name.toLowerCase()}`);
    await bob.until(new RegExp(`^\\* name ${escape(alice.name.toLowerCase())} is taken$`));
  });

  test("a 33-character name is refused; 32 is fine", async () => {
    const bob = await join(server.port);
    const long = "n".repeat(33);
    bob.say(`/nick ${long}`);
    await bob.until(new RegExp(`^\\* cannot use the name "${long}": a name has at most 32 characters$`));
    const ok = `${unique("x").replace(/-/g, "_")}${"n".repeat(32)}`.slice(0, 32);
    bob.say(`/nick ${ok}`);
    await bob.until(new RegExp(`is now known as ${ok}$`));
  });

  test("a name of letters from any script is fine; punctuation is not", async () => {
    const bob = await join(server.port);
    const name = `Zoë_日本${Math.random().toString(36).slice(2, 8)}`;
    bob.say(`/nick ${name}`);
    await bob.until(new RegExp(`is now known as ${name}$`));
    bob.say("/nick semi;colon");
    await bob.until(/^\* cannot use the name "semi;colon": a name may hold only letters, digits, _, - and \.$/);
  });

  test("a name made of ANSI escapes is cleaned, and one that is nothing but escapes is refused", async () => {
    const alice = await join(server.port);
    const bob = await join(server.port);
    const tag = Math.random().toString(36).slice(2, 10);
    bob.say(`/nick \x1b[31mred${tag}\x1b[0m`);
    await alice.until(new RegExp(`^${escape(bob.name)} is now known as red${tag}$`));
    bob.say("/nick \x1b[2J\x1b[31m\x1b[0m");
    // The line is cleaned before it is read as a command: what is left is a /nick with no name.
    await bob.until(/^\* usage: \/nick NAME$/);
    bob.say("still red");
    await alice.until(new RegExp(`^red${tag}: still red$`));
    expect(alice.lines.all.join("\n")).not.toContain("\x1b");
  });

  test("two clients racing for the same name: exactly one gets it", async () => {
    const watcher = await join(server.port);
    const a = await join(server.port);
    const b = await join(server.port);
    const name = unique("race").slice(0, 32);
    a.say(`/nick ${name}`);
    b.say(`/nick ${name}`);
    const [, winner] = await watcher.until(new RegExp(`^(.+) is now known as ${name}$`));
    const loser = winner === a.name ? b : a;
    await loser.until(new RegExp(`^\\* name ${name} is taken$`));
    expect(watcher.lines.all.filter((l) => l.endsWith(` is now known as ${name}`))).toHaveLength(1);
  });

  test("/nick without a name shows the usage", async () => {
    const bob = await join(server.port);
    bob.say("/nick");
    await bob.until(/^\* usage: \/nick NAME$/);
  });
});

describe("/who, /away, /back", () => {
  test("/who lists everyone, sorted, with away status", async () => {
    await using room = await serve();
    const carol = await person("carol", room.port);
    const alice = await person("alice", room.port);
    const bob = await person("bob", room.port);
    bob.say("/away lunch");
    await bob.until(/^\* you are away: lunch$/);
    alice.say("/who");
    const [, list] = await alice.until(/^\* Present: (.+)$/);
    expect(list).toBe([alice.name, `${bob.name} (away: lunch)`, carol.name].sort().join(", "));
    bob.say("/back");
    await bob.until(/^\* you are back$/);
    alice.say("/who");
    expect((await alice.until(/^\* Present: (.+)$/))[1]).toBe([alice.name, bob.name, carol.name].sort().join(", "));
  });

  test("a newcomer is told who is present", async () => {
    await using room = await serve();
    const alice = await person("alice", room.port);
    const bob = await person("bob", room.port);
    const carol = await dial(room.port);
    const [, list] = await carol.until(/^Present: (.+)$/);
    expect(list).toBe([alice.name, bob.name].sort().join(", "));
  });
});

describe("/msg", () => {
  test("reaches only the two people concerned", async () => {
    const alice = await person("alice");
    const bob = await person("bob");
    const eve = await person("eve");
    const secret = unique("secret");
    alice.say(`/msg ${bob.name} ${secret}`);
    await bob.until(new RegExp(`^\\* ${escape(alice.name)} -> ${escape(bob.name)}: ${secret}$`));
    await alice.until(new RegExp(`^\\* ${escape(alice.name)} -> ${escape(bob.name)}: ${secret}$`));
    const after = unique("public");
    alice.say(after);
    await eve.until(new RegExp(`: ${after}$`));
    expect(eve.lines.all.some((l) => l.includes(secret))).toBe(false);
  });

  test("to a missing user: the sender is told, nobody else hears", async () => {
    const alice = await person("alice");
    const bob = await person("bob");
    const text = unique("lost");
    alice.say(`/msg nobody-here-at-all ${text}`);
    await alice.until(/^\* no one here is called nobody-here-at-all$/);
    const after = unique("public");
    alice.say(after);
    await bob.until(new RegExp(`^${escape(alice.name)}: ${after}$`));
    expect(bob.lines.all.filter((l) => l.includes(text) || l.includes("nobody-here-at-all"))).toEqual([]);
  });

  test("to an away user: delivered, and the sender is told", async () => {
    const alice = await person("alice");
    const bob = await person("bob");
    bob.say("/away back soon");
    await bob.until(/^\* you are away/);
    alice.say(`/msg ${bob.name} ping`);
    await bob.until(new RegExp(`-> ${escape(bob.name)}: ping$`));
    await alice.until(new RegExp(`^\\* ${escape(bob.name)} is away: back soon$`));
  });

  test("without text: the usage", async () => {
    const alice = await person("alice");
    alice.say("/msg someone");
    await alice.until(/^\* usage: \/msg NAME TEXT$/);
  });
});

describe("other commands", () => {
  test("/me: everyone sees * NAME TEXT", async () => {
    const alice = await person("alice");
    const bob = await person("bob");
    const text = unique("waves");
    bob.say(`/me ${text}`);
    await alice.until(new RegExp(`^\\* ${escape(bob.name)} ${text}$`));
    await bob.until(new RegExp(`^\\* ${escape(bob.name)} ${text}$`));
  });

  test("//text sends /text", async () => {
    const alice = await person("alice");
    const bob = await person("bob");
    const text = unique("slash");
    bob.say(`//${text}`);
    await alice.until(new RegExp(`^${escape(bob.name)}: /${text}$`));
  });

  test("/help lists every command, to the asker only", async () => {
    const alice = await person("alice");
    const bob = await person("bob");
    alice.say("/help");
    await alice.until(/^\* Commands:$/);
    for (const command of ["/nick NAME", "/who", "/msg NAME TEXT", "/me TEXT", "/away", "/back", "/help", "/mode plain|json", "/quit"])
      await alice.until(new RegExp(`^\\*\\s+${escape(command)}\\s`));
    const after = unique("after-help");
    alice.say(after);
    await bob.until(new RegExp(`^${escape(alice.name)}: ${after}$`));
    const help = (l: string) => /^\*\s+(Commands:|\/)/.test(l);
    expect(alice.lines.all.filter(help)).toContain("* Commands:"); // what the filter finds in the asker's lines
    expect(bob.lines.all.filter(help)).toEqual([]);
  });

  test("an unknown command: * unknown command /x (try /help), and the connection stays", async () => {
    const alice = await person("alice");
    alice.say("/frobnicate now");
    await alice.until(/^\* unknown command \/frobnicate \(try \/help\)$/);
    const text = unique("still");
    alice.say(text);
    await alice.until(new RegExp(`^${escape(alice.name)}: ${text}$`));
  });

  test("/quit leaves like a closed connection", async () => {
    const alice = await person("alice");
    const bob = await person("bob");
    bob.say("/quit");
    await alice.until(new RegExp(`^${escape(bob.name)} has left$`));
    await bob.closed;
  });
});

describe("history", () => {
  test("the last --history N chat lines are replayed oldest first, marked with their time", async () => {
    await using room = await serve(["--history", "3", "--rate", "0"]);
    const alice = await person("alice", room.port);
    for (const text of ["h1", "h2", "h3", "h4"]) alice.say(text);
    alice.say("/me h5");
    alice.say(`/msg ${alice.name} private-note`);
    await alice.until(/private-note$/);
    const late = await join(room.port);
    const replay = [await late.until(/^\[\d\d:\d\d\] /), await late.until(/^\[\d\d:\d\d\] /), await late.until(/^\[\d\d:\d\d\] /)].map((m) => m.input!.slice(8));
    expect(replay).toEqual([`${alice.name}: h3`, `${alice.name}: h4`, `* ${alice.name} h5`]);
    late.say("/who"); // the reply comes after any further replay
    await late.until(/^\* Present:/);
    expect(late.lines.all.some((l) => l.includes("private-note"))).toBe(false);
  });

  test("--history 0 replays nothing", async () => {
    await using room = await serve(["--history", "0"]);
    const alice = await person("alice", room.port);
    alice.say("not kept");
    await alice.until(/: not kept$/);
    const late = await join(room.port);
    late.say("/who");
    await late.until(/^\* Present:/);
    expect(late.lines.all.some((l) => l.includes("not kept"))).toBe(false);
  });
});

test("--motd FILE is shown to every newcomer after the welcome", async () => {
  const dir = mkdtempSync(joinPath(tmpdir(), "chat-motd-"));
  try {
    await Bun.write(`${dir}/motd.txt`, "Welcome to the test room.\nBe kind.\n");
    await using room = await serve(["--motd", `${dir}/motd.txt`]);
    const alice = await join(room.port);
    await alice.until(/^\* Welcome to the test room\.$/);
    await alice.until(/^\* Be kind\.$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe("flood control", () => {
  test("a pasted 50-line snippet passes whole under the default limit", async () => {
    await using room = await serve();
    const alice = await join(room.port);
    const bob = await join(room.port);
    const tag = unique("paste");
    bob.send(Array.from({ length: 50 }, (_, i) => `${tag} ${i}\n`).join(""));
    for (let i = 0; i < 50; i++) await alice.until(new RegExp(`^${escape(bob.name)}: ${tag} ${i}$`));
    await bob.until(new RegExp(`^${escape(bob.name)}: ${tag} 49$`)); // a * slow down would have come before it
    expect(bob.lines.all).not.toContain("* slow down");
  });

  test("1000 lines in a burst are cut to what the limit allows, with one * slow down", async () => {
    await using room = await serve(["--rate", "5", "--burst", "50"]);
    const alice = await join(room.port);
    const bob = await join(room.port);
    const tag = unique("flood");
    const started = Date.now();
    bob.send(Array.from({ length: 1000 }, (_, i) => `${tag} ${i}\n`).join(""));
    await bob.until(/^\* slow down$/);
    const seconds = (Date.now() - started) / 1000;
    // A marker after the flood: once it arrives, everything before it has been handled. It may be cut
    // too while the bucket is empty: said again 300 ms apart (a token comes back every 200 ms) until it passes.
    const end = unique("end");
    let attempts = 0;
    for (let passed = false; !passed; ) {
      expect(++attempts).toBeLessThanOrEqual(10);
      bob.say(end);
      passed = await alice.until(new RegExp(`: ${end}$`), 300).then(() => true, () => false);
    }
    await bob.until(new RegExp(`^${escape(bob.name)}: ${end}$`)); // a second * slow down would have come before it
    const passed = alice.lines.all.filter((l) => l.includes(`: ${tag} `)).length;
    expect(passed).toBeGreaterThanOrEqual(50);
    expect(passed).toBeLessThanOrEqual(50 + Math.ceil(seconds * 5) + 2);
    expect(bob.lines.all.filter((l) => l === "* slow down")).toHaveLength(1);
    expect(alice.lines.all.filter((l) => l.includes(`: ${tag} `))[0]).toBe(`${bob.name}: ${tag} 0`);
  });

  test("--rate 0 turns flood control off", async () => {
    await using room = await serve(["--rate", "0"]);
    const alice = await join(room.port);
    const bob = await join(room.port);
    const tag = unique("free");
    bob.send(Array.from({ length: 300 }, (_, i) => `${tag} ${i}\n`).join(""));
    await alice.until(new RegExp(`: ${tag} 299$`));
    await bob.until(new RegExp(`^${escape(bob.name)}: ${tag} 299$`)); // a * slow down would have come before it
    expect(bob.lines.all).not.toContain("* slow down");
  });
});

describe("JSON mode", () => {
  test("/mode json as first line: every event is one JSON object per line; nc users stay plain", async () => {
    await using room = await serve(["--rate", "0"]); // a room of its own: no late events from other tests
    const plain = await person("plain", room.port);
    const bot = await join(room.port);
    bot.say("/mode json");
    const welcome = JSON.parse((await bot.until(/^\{"type":"welcome"/)).input!);
    expect(welcome).toMatchObject({ type: "welcome", lang: "en" });
    expect(welcome.present.map((p: { name: string }) => p.name)).toEqual([plain.name]);
    expect(typeof welcome.ts).toBe("number");
    const events = async (re: RegExp) => JSON.parse((await bot.until(re)).input!);

    const text = unique("json");
    plain.say(text);
    expect(await events(/"type":"message"/)).toMatchObject({ type: "message", from: plain.name, text });
    plain.say(`/me ${text}`);
    expect(await events(/"type":"me"/)).toMatchObject({ type: "me", from: plain.name, text });
    plain.say(`/msg ${welcome.name} ${text}`);
    expect(await events(/"type":"private"/)).toMatchObject({ type: "private", from: plain.name, to: welcome.name, text });
    const other = await join(room.port);
    expect(await events(/"type":"join"/)).toMatchObject({ type: "join", name: other.name });
    const newName = unique("n").slice(0, 32);
    other.say(`/nick ${newName}`);
    expect(await events(/"type":"nick"/)).toMatchObject({ type: "nick", from: other.name, to: newName });
    other.close();
    expect(await events(/"type":"leave"/)).toMatchObject({ type: "leave", name: newName });
    bot.say("/bogus");
    expect(await events(/"type":"notice"/)).toMatchObject({ type: "notice", text: "unknown command /bogus (try /help)" });

    await plain.until(new RegExp(`^${escape(plain.name)}: ${text}$`)); // plain stays plain
    await plain.until(new RegExp(`^${escape(newName)} has left$`)); // the last event plain shares with the bot
    expect(plain.lines.all.some((l) => l.startsWith("{"))).toBe(false);
  });

  test("history comes as one history event", async () => {
    await using room = await serve(["--history", "5"]);
    const alice = await person("alice", room.port);
    alice.say("remember me");
    await alice.until(/: remember me$/);
    const bot = await join(room.port);
    bot.say("/mode json");
    const history = JSON.parse((await bot.until(/^\{"type":"history"/)).input!);
    expect(history.lines).toEqual([expect.objectContaining({ type: "message", from: alice.name, text: "remember me" })]);
  });
});
