// Rooms over real sockets: /join, /leave, /rooms, /topic, what stays in a room, names of rooms, --max-rooms, JSON events.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { closePeers, dial, escape, join, joinAs, run, serve, unique, type Peer, type Server } from "../helpers.ts";

let server: Server;
beforeAll(async () => void (server = await serve(["--rate", "0"])));
afterAll(() => server.kill());
afterEach(closePeers);

/** Joins and takes a name unique to the test. */
const person = (label: string, port = server.port): Promise<Peer> => joinAs(port, label);

/** A room name no other test uses, as typed after /join. */
function roomName(label = "r"): string {
  return unique(label).slice(0, 32);
}

/** /join ROOM, waiting for the mover's confirmation. */
async function moveTo(peer: Peer, room: string, shown = room): Promise<void> {
  peer.say(`/join #${room}`);
  await peer.until(new RegExp(`^\\* you are now in #${escape(shown)}$`));
}

/** Everyone given goes to room, one after the other. */
async function together(room: string, ...peers: Peer[]): Promise<void> {
  for (const peer of peers) await moveTo(peer, room);
}

/**
 * An ordering barrier: from sends to a line only to (wherever both are); once to has it, anything
 * from's earlier lines would have brought to it already has come.
 */
async function barrier(from: Peer, to: Peer): Promise<void> {
  const token = unique("barrier");
  from.say(`/msg ${to.name} ${token}`);
  await to.until(new RegExp(`-> ${escape(to.name)}: ${token}$`));
}

describe("arriving", () => {
  test("a newcomer on nc sees what it always saw: You are, Present:, history, and no word of rooms", async () => {
    await using own = await serve(["--rate", "0"]);
    const alice = await person("alice", own.port);
    alice.say("/topic set before the newcomer"); // shown by /topic, not to a newcomer in #main
    await alice.until(/set the topic: set before the newcomer$/);
    alice.say("before the newcomer");
    await alice.until(/: before the newcomer$/);
    const bob = await dial(own.port);
    const [, bobName] = await bob.until(/^You are (.+)$/);
    await alice.until(new RegExp(`^${escape(bobName!)} has arrived$`));
    bob.say("/who"); // its reply ends what the welcome sent
    await bob.until(/^\* Present: /);
    expect(bob.lines.all).toEqual([
      `You are ${bobName}`,
      `Present: ${alice.name}`,
      expect.stringMatching(new RegExp(`^\\[\\d\\d:\\d\\d\\] ${escape(alice.name)}: before the newcomer$`)),
      `* Present: ${[alice.name, bobName].sort().join(", ")}`,
    ]);
  });
});

describe("arriving in a room", () => {
  test("a /join sent at once: You are, then where, the topic, Present: and the room's history, as a move shows them", async () => {
    const room = roomName("den");
    const alice = await person("alice");
    await moveTo(alice, room);
    alice.say("/topic the den");
    await alice.until(/set the topic: the den$/);
    alice.say("said in the den");
    await alice.until(/: said in the den$/);
    const bob = await dial(server.port);
    bob.send(`/join #${room.toUpperCase()}\n`);
    const [, name] = await bob.until(/^You are (.+)$/);
    await alice.until(new RegExp(`^${escape(name!)} has arrived$`));
    await bob.until(/: said in the den$/);
    expect(bob.lines.all).toEqual([
      `You are ${name}`,
      `* you are now in #${room}`,
      "* topic: the den",
      `Present: ${alice.name}`,
      expect.stringMatching(new RegExp(`^\\[\\d\\d:\\d\\d\\] ${escape(alice.name)}: said in the den$`)),
    ]);
  });

  test("a bad room sent at once: the newcomer arrives in #main and is told why", async () => {
    const bob = await dial(server.port);
    bob.send("/join #a<b>\n");
    const [, name] = await bob.until(/^You are (.+)$/);
    await bob.until(/^\* cannot use the room name "#a<b>": a room name may hold only letters, digits, _, - and \.$/);
    bob.say("/who");
    const [, present] = await bob.until(/^\* Present: (.+)$/);
    expect(present!.split(", ")).toContain(name!);
    expect(bob.lines.all.some((l) => l.startsWith("* you are now in"))).toBe(false);
  });
});

describe("/join", () => {
  test("the mover gets where they are, the topic, Present: and the room's history, in that order; both rooms are told", async () => {
    const room = roomName("dev");
    const alice = await person("alice");
    await moveTo(alice, room);
    alice.say("/topic all about dev");
    await alice.until(new RegExp(`^\\* ${escape(alice.name)} set the topic: all about dev$`));
    alice.say("said in dev");
    await alice.until(/: said in dev$/);
    const bob = await person("bob");
    const carol = await person("carol"); // stays in #main
    await bob.until(new RegExp(` is now known as ${escape(carol.name)}$`)); // before counting what bob has seen
    const seen = bob.lines.all.length;
    bob.say(`/join #${room}`);
    await carol.until(new RegExp(`^${escape(bob.name)} went to #${escape(room)}$`));
    await alice.until(new RegExp(`^${escape(bob.name)} has arrived$`));
    await bob.until(/: said in dev$/);
    expect(bob.lines.all.slice(seen)).toEqual([
      `* you are now in #${room}`,
      "* topic: all about dev",
      `Present: ${alice.name}`,
      expect.stringMatching(new RegExp(`^\\[\\d\\d:\\d\\d\\] ${escape(alice.name)}: said in dev$`)),
    ]);
  });

  test("the # is optional, and a room is one whatever its case or width; it keeps the spelling it was made with", async () => {
    const room = `Fold${unique("x").replace(/-/g, "")}`.slice(0, 20);
    const wide = [...room.toUpperCase()].map((c) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0)).join("");
    const alice = await person("alice");
    await moveTo(alice, room);
    const bob = await person("bob");
    bob.say(`/join ${room.toLowerCase()}`);
    await bob.until(new RegExp(`^\\* you are now in #${room}$`));
    const carol = await person("carol");
    carol.say(`/join ${wide}`);
    await carol.until(new RegExp(`^\\* you are now in #${room}$`));
    await alice.until(new RegExp(`^${escape(carol.name)} has arrived$`));
    carol.say("/rooms");
    await carol.until(new RegExp(`^\\* #${room} \\(3\\)$`)); // three people: one room
  });

  test("/join of the room one is in, and /leave in #main: * you are already in", async () => {
    const room = roomName();
    const alice = await person("alice");
    alice.say("/leave");
    await alice.until(/^\* you are already in #main$/);
    await moveTo(alice, room);
    alice.say(`/join #${room.toUpperCase()}`);
    await alice.until(new RegExp(`^\\* you are already in #${escape(room)}$`));
  });

  test("/leave goes back to #main: the room is told NAME went to #main", async () => {
    const room = roomName();
    const alice = await person("alice");
    const bob = await person("bob");
    await together(room, alice, bob);
    alice.say("/leave");
    await alice.until(/^\* you are now in #main$/);
    await bob.until(new RegExp(`^${escape(alice.name)} went to #main$`));
  });

  test("a bad room name is refused with what is wrong with it, and the mover stays", async () => {
    const alice = await person("alice");
    const refusals: [string, string][] = [
      ["#", '"#": a room name needs at least one character'],
      ["#my room", '"#my room": a room name cannot hold a space'],
      [`#${"r".repeat(33)}`, `"#${"r".repeat(33)}": a room name has at most 32 characters`],
      ["<b>", '"#<b>": a room name may hold only letters, digits, _, - and .'],
      ["#semi;colon", '"#semi;colon": a room name may hold only letters, digits, _, - and .'],
    ];
    for (const [typed, reply] of refusals) {
      alice.say(`/join ${typed}`);
      await alice.until(new RegExp(`^\\* cannot use the room name ${escape(reply)}$`));
    }
    // Escapes are cleaned from the line before it is read; nothing but escapes leaves no room at all.
    alice.say("/join \x1b[2J\x1b[31m\x1b[0m");
    await alice.until(/^\* usage: \/join #ROOM$/);
    const room = roomName("clean");
    alice.say(`/join #\x1b[31m${room}\x1b[0m`);
    await alice.until(new RegExp(`^\\* you are now in #${escape(room)}$`));
    alice.say("/leave");
    await alice.until(/^\* you are now in #main$/);
    alice.say("/who");
    await alice.until(/^\* Present: /);
    expect(alice.lines.all.join("\n")).not.toContain("\x1b");
    alice.say("/join");
    await alice.until(/^\* usage: \/join #ROOM$/);
  });
});

describe("what stays in a room", () => {
  test("lines, /me, arrivals and departures reach the room only; /msg reaches anyone, anywhere", async () => {
    const room = roomName();
    const alice = await person("alice");
    const bob = await person("bob"); // in #main throughout
    await moveTo(alice, room);
    const carol = await person("carol");
    await moveTo(carol, room);
    await alice.until(new RegExp(`^${escape(carol.name)} has arrived$`));
    const said = unique("only-in-room");
    alice.say(said);
    alice.say(`/me ${said}`);
    await carol.until(new RegExp(`^${escape(alice.name)}: ${said}$`));
    await carol.until(new RegExp(`^\\* ${escape(alice.name)} ${said}$`));
    carol.say("/quit");
    await alice.until(new RegExp(`^${escape(carol.name)} has left$`));
    await barrier(alice, bob); // a /msg crosses rooms, and comes after all alice said
    expect(bob.lines.all.filter((l) => l.includes(said))).toEqual([]);
    expect(bob.lines.all).toContain(`${carol.name} went to #${room}`); // seen leaving #main, and no more
    expect(bob.lines.all).not.toContain(`${carol.name} has arrived`);
    expect(bob.lines.all).not.toContain(`${carol.name} has left`);
  });

  test("/who and history are the room's", async () => {
    const room = roomName();
    const alice = await person("alice");
    await moveTo(alice, room);
    const said = unique("history");
    alice.say(said);
    await alice.until(new RegExp(`: ${said}$`));
    alice.say("/who");
    await alice.until(new RegExp(`^\\* Present: ${escape(alice.name)}$`));
    // A newcomer in #main is not shown what was said in the room.
    const newcomer = await dial(server.port);
    const [, name] = await newcomer.until(/^You are (.+)$/);
    newcomer.say("/who");
    const [, present] = await newcomer.until(/^\* Present: (.+)$/);
    expect(present!.split(", ")).toContain(name!);
    expect(present!.split(", ")).not.toContain(alice.name);
    expect(newcomer.lines.all.some((l) => l.includes(said))).toBe(false);
  });

  test("names are unique across rooms", async () => {
    const alice = await person("alice");
    await moveTo(alice, roomName());
    const bob = await person("bob");
    bob.say(`/nick ${alice.name.toUpperCase()}`);
    await bob.until(new RegExp(`^\\* name ${escape(alice.name.toUpperCase())} is taken$`));
  });

  test("leaving the server while in a room is told to that room alone", async () => {
    const room = roomName();
    const alice = await person("alice");
    const bob = await person("bob");
    const watcher = await person("watcher"); // in #main
    await together(room, alice, bob);
    alice.close();
    await bob.until(new RegExp(`^${escape(alice.name)} has left$`));
    await barrier(bob, watcher);
    expect(watcher.lines.all.some((l) => l === `${alice.name} has left`)).toBe(false);
  });

  test("an operator in #main kicks someone in a room: that room sees (kicked)", async () => {
    await using own = await serve(["--rate", "0"], { CHAT_OP_PASSWORD: "boss" });
    const op = await person("op", own.port);
    const alice = await person("alice", own.port);
    const bob = await person("bob", own.port);
    const room = roomName();
    await together(room, alice, bob);
    op.say("/op boss");
    await op.until(/^\* you are an operator$/);
    op.say(`/kick ${alice.name} off`);
    await alice.until(/^\* you were kicked by .+: off$/);
    await bob.until(new RegExp(`^${escape(alice.name)} has left \\(kicked\\)$`));
    await alice.closed;
  });
});

describe("/topic and /rooms", () => {
  test("/topic shows, sets and shows again; only the room hears it set", async () => {
    const room = roomName();
    const alice = await person("alice");
    const bob = await person("bob");
    const carol = await person("carol"); // in #main
    await together(room, alice, bob);
    alice.say("/topic");
    await alice.until(/^\* no topic$/);
    const topic = unique("topic");
    alice.say(`/topic ${topic}`);
    await bob.until(new RegExp(`^\\* ${escape(alice.name)} set the topic: ${topic}$`));
    bob.say("/topic");
    await bob.until(new RegExp(`^\\* topic: ${topic}$`));
    await barrier(alice, carol);
    expect(carol.lines.all.some((l) => l.includes(topic))).toBe(false);
  });

  test("/rooms lists every room, sorted, with how many are in it and the topic", async () => {
    await using own = await serve(["--rate", "0"]);
    const alice = await person("alice", own.port);
    const bob = await person("bob", own.port);
    await moveTo(alice, "Zeta");
    alice.say("/topic last one");
    await alice.until(/set the topic: last one$/);
    await moveTo(bob, "alpha");
    bob.say("/rooms");
    await bob.until(/^\* #alpha \(1\)$/);
    const [, main] = await bob.until(/^\* (#main .*)$/);
    const [, zeta] = await bob.until(/^\* (#Zeta .*)$/);
    expect([main, zeta]).toEqual(["#main (0)", "#Zeta (1): last one"]);
  });
});

describe("--max-rooms", () => {
  test("a bad value is one line and exit 2, from the flag or CHAT_MAX_ROOMS", async () => {
    for (const [args, env, shown] of [
      [["--max-rooms", "lots"], {}, "lots"],
      [[], { CHAT_MAX_ROOMS: "-1" }, "-1"],
    ] as const) {
      const chat = run(["serve", "--port", "0", ...args], { stdin: "ignore", env });
      expect(await chat.exited).toBe(2);
      expect(chat.stderr.all).toEqual([`chat: bad --max-rooms: expected a whole number, 0 or more, not "${shown}"`]);
    }
  });

  test("past the limit with every room in use: * too many rooms, and the mover stays where they are", async () => {
    await using own = await serve(["--rate", "0", "--max-rooms", "2"]);
    const alice = await person("alice", own.port);
    const bob = await person("bob", own.port);
    await moveTo(alice, "first");
    bob.say("/join #second");
    await bob.until(/^\* too many rooms$/);
    const carol = await person("carol", own.port);
    bob.say("still in main");
    await carol.until(new RegExp(`^${escape(bob.name)}: still in main$`));
    bob.say("/join first"); // a room that exists is always open
    await bob.until(/^\* you are now in #first$/);
  });

  test("past the limit, the room empty longest is forgotten, history and topic with it", async () => {
    await using own = await serve(["--rate", "0"], { CHAT_MAX_ROOMS: "3" });
    const alice = await person("alice", own.port);
    await moveTo(alice, "older");
    alice.say("kept in older");
    await alice.until(/: kept in older$/);
    await moveTo(alice, "newer");
    alice.say("kept in newer");
    await alice.until(/: kept in newer$/);
    alice.say("/leave");
    await alice.until(/^\* you are now in #main$/);
    alice.say("/rooms"); // both empty rooms are kept for their history
    await alice.until(/^\* #main \(1\)$/);
    await alice.until(/^\* #newer \(0\)$/);
    await alice.until(/^\* #older \(0\)$/);
    await moveTo(alice, "third"); // one too many: #older goes
    alice.say("/rooms");
    await alice.until(/^\* #main \(0\)$/);
    await alice.until(/^\* #newer \(0\)$/);
    await alice.until(/^\* #third \(1\)$/);
    alice.say("/leave");
    await alice.until(/^\* you are now in #main$/);
    await moveTo(alice, "newer");
    await alice.until(/: kept in newer$/);
    await moveTo(alice, "older"); // a new #older (#third, with nothing to keep, went as soon as it was empty)
    alice.say("/who");
    await alice.until(/^\* Present: /);
    expect(alice.lines.all.filter((l) => l.includes("kept in older"))).toHaveLength(1); // said, never replayed
  });
});

describe("JSON mode", () => {
  test("room events carry room; a move is a leave with to; /join gives a room event, /topic a topic, /rooms a rooms", async () => {
    await using own = await serve(["--rate", "0"]);
    const bot = await join(own.port);
    bot.say("/mode json");
    const welcome = JSON.parse((await bot.until(/^\{"type":"welcome"/)).input!);
    expect(welcome).toMatchObject({ type: "welcome", room: "#main" });
    const events = async (re: RegExp) => JSON.parse((await bot.until(re)).input!);
    const alice = await person("alice", own.port);
    expect(await events(/"type":"join"/)).toMatchObject({ type: "join", name: expect.any(String), room: "#main" });
    expect(await events(/"type":"nick"/)).toMatchObject({ type: "nick", to: alice.name, room: "#main" });
    alice.say("hello");
    expect(await events(/"type":"message"/)).toMatchObject({ type: "message", from: alice.name, text: "hello", room: "#main" });
    await moveTo(alice, "dev");
    expect(await events(/"type":"leave"/)).toEqual({ type: "leave", name: alice.name, room: "#main", to: "#dev", ts: expect.any(Number) });
    alice.say("/topic json talk");
    await alice.until(/set the topic: json talk$/);
    bot.say("/join #DEV");
    expect(await events(/"type":"room"/)).toEqual({ type: "room", room: "#dev", topic: "json talk", present: [{ name: alice.name }], ts: expect.any(Number) });
    alice.say("/topic newer");
    expect(await events(/"type":"topic"/)).toEqual({ type: "topic", room: "#dev", from: alice.name, text: "newer", ts: expect.any(Number) });
    bot.say("/rooms");
    expect(await events(/"type":"rooms"/)).toEqual({
      type: "rooms",
      rooms: [
        { room: "#dev", people: 2, topic: "newer" },
        { room: "#main", people: 0 },
      ],
      ts: expect.any(Number),
    });
    alice.close();
    expect(await events(/"type":"leave"/)).toEqual({ type: "leave", name: alice.name, room: "#dev", ts: expect.any(Number) });
  });
});

describe("--lang zh", () => {
  test("every room word, and the words of the room's other replies, in Chinese", async () => {
    await using own = await serve(["--rate", "0", "--lang", "zh", "--max-rooms", "2"]);
    const alice = await dial(own.port);
    const [, aliceName] = await alice.until(/^欢迎 (.+)$/);
    const bob = await dial(own.port);
    const [, bobName] = await bob.until(/^欢迎 (.+)$/);
    bob.say("/nick bob");
    await alice.until(new RegExp(`^${escape(bobName!)} 改名为 bob$`));
    alice.say("/join #dev");
    await alice.until(/^\* 你已进入 #dev$/);
    await bob.until(new RegExp(`^${escape(aliceName!)} 前往 #dev$`));
    alice.say("/topic");
    await alice.until(/^\* 没有话题$/);
    alice.say("/topic 闲聊");
    await alice.until(new RegExp(`^\\* ${escape(aliceName!)} 设置了话题: 闲聊$`));
    bob.say("/join #other");
    await bob.until(/^\* 房间太多了$/);
    bob.say("/leave");
    await bob.until(/^\* 你已经在 #main 了$/);
    bob.say("/join #DEV");
    await bob.until(/^\* 你已进入 #dev$/);
    await bob.until(/^\* 话题: 闲聊$/);
    await bob.until(new RegExp(`^在线: ${escape(aliceName!)}$`));
    await alice.until(/^bob 上线$/);
    bob.say("/who");
    await bob.until(new RegExp(`^\\* 在线: ${escape(aliceName!)}, bob$`));
    bob.say("/away 吃饭");
    await bob.until(/^\* 你已离开: 吃饭$/);
    alice.say("/msg bob 在吗");
    await alice.until(/^\* bob 离开了: 吃饭$/);
    bob.say("/back");
    await bob.until(/^\* 你回来了$/);
    bob.say("/join #a b");
    await bob.until(/^\* 不能使用房间名 "#a b": 房间名不能包含空格$/);
    bob.say("/nick a;b");
    await bob.until(/^\* 不能使用名字 "a;b": 名字只能包含字母、数字、_、- 和 \.$/);
    bob.say("/join");
    await bob.until(/^\* 用法: \/join #ROOM$/);
    bob.say("/xyz");
    await bob.until(/^\* 未知命令 \/xyz \(试试 \/help\)$/);
    bob.say("/help");
    await bob.until(/^\* 命令:$/);
    await bob.until(/^\*\s+\/join #ROOM\s+进入一个房间/);
    await bob.until(/^\*\s+\/mode plain\|json\s+纯文本, 或者给程序用的每行一个 JSON 事件$/);
    bob.say("/rooms");
    await bob.until(/^\* #dev \(2\): 闲聊$/);
    await bob.until(/^\* #main \(0\)$/);
    bob.close();
    await alice.until(/^bob 下线$/);
  });
});

test("/help lists the room commands and /mode", async () => {
  const alice = await person("alice");
  alice.say("/help");
  for (const usage of ["/join #ROOM", "/leave", "/rooms", "/topic [TEXT]", "/help", "/mode plain|json"])
    await alice.until(new RegExp(`^\\*\\s+${escape(usage)}\\s+\\S`));
});

test("--metrics: a gauge of rooms, and of people in each of the 50 largest rooms", async () => {
  await using own = await serve(["--rate", "0", "--max-per-ip", "0", "--metrics", "127.0.0.1:0"]);
  const [, base] = await own.stderr.until(/^\S+ metrics on (http:\/\/127\.0\.0\.1:\d+)\/metrics$/);
  // Two in #big, one in each of #r00 … #r54, nobody left in #main.
  const people = await Promise.all(Array.from({ length: 57 }, () => join(own.port)));
  const rooms = people.map((_, i) => (i < 2 ? "big" : `r${String(i - 2).padStart(2, "0")}`));
  await Promise.all(people.map((peer, i) => moveTo(peer, rooms[i]!)));
  const text = await (await fetch(`${base}/metrics`)).text();
  expect(text).toContain("# TYPE chat_rooms gauge\nchat_rooms 57\n");
  const gauged = [...text.matchAll(/^chat_room_people\{room="(#[^"]+)"\} (\d+)$/gm)].map((m) => [m[1], Number(m[2])]);
  expect(gauged).toHaveLength(50);
  expect(gauged[0]).toEqual(["#big", 2]);
  expect(gauged.slice(1).every(([, n]) => n === 1)).toBe(true);
});

test("one gone idle in a room is announced (idle) to that room alone", async () => {
  await using own = await serve(["--rate", "0", "--idle", "2s"]);
  const alice = await person("alice", own.port);
  const bob = await person("bob", own.port);
  const watcher = await person("watcher", own.port); // in #main
  const room = roomName();
  await together(room, alice, bob);
  // bob and the watcher speak (a reply to themselves alone) well within --idle; alice says nothing more.
  const keepAlive = setInterval(() => {
    bob.say("/topic");
    watcher.say("/who");
  }, 100);
  try {
    await bob.until(new RegExp(`^${escape(alice.name)} has left \\(idle\\)$`), 10_000);
    await barrier(bob, watcher);
    expect(watcher.lines.all).not.toContain(`${alice.name} has left (idle)`);
  } finally {
    clearInterval(keepAlive);
  }
});
