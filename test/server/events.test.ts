// The seed's four events, in English and in --lang zh, over real sockets.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { closePeers, dial, escape, join, serve, unique, type Server } from "../helpers.ts";

afterEach(closePeers);

describe("English (default)", () => {
  let server: Server;
  beforeAll(async () => void (server = await serve()));
  afterAll(() => server.kill());

  test("a newcomer is told its name, which is its address", async () => {
    const alice = await join(server.port);
    expect(alice.name).toBe(`127.0.0.1:${alice.socket.localPort}`);
  });

  test("the others are told who arrived, the newcomer who is present", async () => {
    const alice = await join(server.port);
    const bob = await join(server.port);
    const [, present] = await bob.until(/^Present: (.+)$/);
    expect(present!.split(", ")).toContain(alice.name);
    await alice.until(new RegExp(`^${escape(bob.name)} has arrived$`));
  });

  test("a chat line reaches everyone, the sender too", async () => {
    const alice = await join(server.port);
    const bob = await join(server.port);
    const text = unique();
    bob.say(text);
    await alice.until(new RegExp(`^${escape(bob.name)}: ${text}$`));
    await bob.until(new RegExp(`^${escape(bob.name)}: ${text}$`));
  });

  test("those who remain are told who left", async () => {
    const alice = await join(server.port);
    const bob = await join(server.port);
    bob.close();
    await alice.until(new RegExp(`^${escape(bob.name)} has left$`));
  });

  test("nobody present: no Present line", async () => {
    await using lonely = await serve();
    const alice = await join(lonely.port);
    alice.say("/who"); // the reply proves the welcome is over
    await alice.until(/^\* Present: /);
    expect(alice.lines.all.some((l) => l.startsWith("Present:"))).toBe(false);
  });
});

describe("a crowd", () => {
  test("a newcomer to more than 50 is told the first 50 names, how many more, and that /who lists everyone", async () => {
    await using crowded = await serve(["--max-per-ip", "0", "--rate", "0"]);
    const crowd = [];
    for (let i = 0; i < 51; i++) crowd.push(await join(crowded.port));
    const names = crowd.map((p) => p.name).sort();
    const newcomer = await dial(crowded.port);
    const [, listed] = await newcomer.until(/^Present: (.+) and 1 more \(51 in all; \/who lists everyone\)$/);
    expect(listed!.split(", ")).toEqual(names.slice(0, 50));
    newcomer.say("/who");
    const [, everyone] = await newcomer.until(/^\* Present: (.+)$/);
    expect(everyone!.split(", ").length).toBe(52);
    for (const name of names) expect(everyone!.split(", ")).toContain(name);
  });

  test("200 arriving at once are all greeted; the room hears of each once, before what is said next", async () => {
    await using crowded = await serve(["--max-per-ip", "0", "--rate", "0"]);
    const alice = await join(crowded.port);
    // All at once: far more than 32 wait at the door together, so the room's news of them is held a while.
    const crowd = await Promise.all(Array.from({ length: 200 }, () => join(crowded.port)));
    crowd[199]!.say("all here");
    for (const peer of [alice, ...crowd]) await peer.until(/: all here$/, 10_000);
    const heard = alice.lines.all.slice(0, alice.lines.all.findIndex((l) => l.endsWith(": all here")));
    const arrivals = heard.filter((l) => l.endsWith(" has arrived")).map((l) => l.slice(0, -" has arrived".length));
    expect(arrivals.sort()).toEqual(crowd.map((p) => p.name).sort());
  });

  test("a newcomer to exactly 50 gets them all, as in a small room", async () => {
    await using crowded = await serve(["--max-per-ip", "0", "--rate", "0"]);
    const crowd = [];
    for (let i = 0; i < 50; i++) crowd.push(await join(crowded.port));
    const newcomer = await dial(crowded.port);
    const [, listed] = await newcomer.until(/^Present: (.+)$/);
    expect(listed!.split(", ")).toEqual(crowd.map((p) => p.name).sort());
  });
});

describe("--lang zh gives the seed's words", () => {
  let server: Server;
  beforeAll(async () => void (server = await serve(["--lang", "zh"])));
  afterAll(() => server.kill());

  test("欢迎, 在线, 上线, 下线 and chat lines", async () => {
    const alice = await dial(server.port);
    const [, aliceName] = await alice.until(/^欢迎 (.+)$/);
    const bob = await dial(server.port);
    const [, bobName] = await bob.until(/^欢迎 (.+)$/);
    await bob.until(new RegExp(`^在线: ${escape(aliceName!)}$`));
    await alice.until(new RegExp(`^${escape(bobName!)} 上线$`));
    bob.say("你好");
    await alice.until(new RegExp(`^${escape(bobName!)}: 你好$`));
    bob.close();
    await alice.until(new RegExp(`^${escape(bobName!)} 下线$`));
  });

  test("CHAT_LANG is the flag's twin", async () => {
    await using server = await serve([], { CHAT_LANG: "zh" });
    const alice = await dial(server.port);
    await alice.until(/^欢迎 /);
  });
});

describe("--anonymous", () => {
  test("newcomers are guest-N, and addresses are not shown", async () => {
    await using server = await serve(["--anonymous"]);
    const alice = await join(server.port);
    const bob = await join(server.port);
    expect(alice.name).toMatch(/^guest-\d+$/);
    expect(bob.name).toMatch(/^guest-\d+$/);
    expect(bob.name).not.toBe(alice.name);
    await alice.until(new RegExp(`^${bob.name} has arrived$`));
    expect([...alice.lines.all, ...bob.lines.all].join("\n")).not.toContain("127.0.0.1");
  });
});
