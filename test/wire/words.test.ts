// Every word a user reads exists in English and in Chinese: each reply, each event, /help and the name faults, walked in both.
import { expect, test } from "bun:test";
import { COMMANDS } from "../../core/wire/commands.ts";
import type { Event } from "../../core/wire/events.ts";
import { CHINESE_SUMMARIES, LANGS, renderPlain, wordsFor, type Notices, type Words } from "../../core/wire/messages.ts";
import type { NameFault } from "../../core/wire/sanitize.ts";

const HAN = /\p{Script=Han}/u;
const FAULTS: NameFault[] = ["empty", "long", "space", "chars"];

/** Arguments to call each reply with; a reply added without a line here fails the first test. */
const SAMPLES: { [K in keyof Notices]: Notices[K] extends (...args: infer A) => unknown ? A[] : [] } = {
  lineTooLong: [[4096]],
  slowDown: [],
  serverFull: [],
  shuttingDown: [],
  reconnecting: [],
  reconnected: [],
  who: [[[{ name: "alice" }, { name: "bob", away: "lunch" }, { name: "carol", away: "" }]]],
  unknownCommand: [["/x"]],
  usage: [["/nick NAME"]],
  nameTaken: [["bob"]],
  nameInvalid: FAULTS.map((fault) => ["x y", fault]),
  nameUnchanged: [["bob"]],
  noSuchUser: [["bob"]],
  isAway: [["bob", "lunch"], ["bob", ""]],
  nowAway: [["lunch"], [""]],
  back: [],
  notAway: [],
  unknownMode: [["xml"]],
  password: [],
  wrongPassword: [],
  banned: [],
  noOperators: [],
  wrongOpPassword: [],
  noMoreOpTries: [],
  nowOperator: [],
  alreadyOperator: [],
  operatorsOnly: [],
  notYourself: [],
  muted: [],
  kickedYou: [["op", "spam"], ["op", ""]],
  bannedYou: [["op"]],
  nowMuted: [["bob", 600_000], ["bob"]],
  unmuted: [["bob"]],
  notMuted: [["bob"]],
  badTarget: [["bob"]],
  ownRange: [["10.0.0.0/8"]],
  bannedRange: [["10.0.0.1", 3_600_000], ["10.0.0.1"]],
  unbanned: [[["10.0.0.1", "10.0.0.0/8"]]],
  noBan: [["bob"]],
  bans: [[[]], [[{ range: "10.0.0.1", label: "bob", leftMs: 60_000 }, { range: "10.0.0.0/8" }]]],
  help: [[]],
  nowIn: [["#dev"]],
  topic: [["rust"]],
  noTopic: [],
  tooManyRooms: [],
  alreadyIn: [["#main"]],
  roomInvalid: FAULTS.map((fault) => ["#x y", fault]),
};

/** Read by chat connect before it knows the room's language: the one place both languages say the same. */
const SAME_IN_EVERY_LANGUAGE = new Set<keyof Notices>(["password", "wrongPassword"]);

/** Every text a reply gives, for each set of sample arguments. */
function texts(notices: Notices, key: keyof Notices): string[] {
  const value = notices[key] as string | ((...args: unknown[]) => string | string[]);
  if (typeof value === "string") return [value];
  const calls = SAMPLES[key] as unknown[][];
  return calls.flatMap((args) => [value(...args)].flat());
}

test("both languages have every reply, and a sample for each", () => {
  const [en, zh] = LANGS.map((lang) => wordsFor(lang).notice);
  expect(Object.keys(zh!).sort()).toEqual(Object.keys(en!).sort());
  expect(Object.keys(SAMPLES).sort()).toEqual(Object.keys(en!).sort());
});

test.each(Object.keys(SAMPLES) as (keyof Notices)[])("%s is said in Chinese, not in English", (key) => {
  const en = texts(wordsFor("en").notice, key);
  const zh = texts(wordsFor("zh").notice, key);
  expect(zh.length).toBe(en.length);
  for (let i = 0; i < en.length; i++) {
    if (SAME_IN_EVERY_LANGUAGE.has(key)) {
      expect(zh[i]).toBe(en[i]!);
      continue;
    }
    expect(zh[i]).not.toBe(en[i]!);
    // Each line of /help too; the arguments (names, commands) stay as they were given.
    expect(zh[i]).toMatch(HAN);
  }
});

test("/help has every command in both languages, with a Chinese summary for each", () => {
  for (const { usage } of COMMANDS) expect(CHINESE_SUMMARIES[usage]).toMatch(HAN);
  expect(Object.keys(CHINESE_SUMMARIES).sort()).toEqual(COMMANDS.map((c) => c.usage).sort());
  for (const lang of LANGS) {
    const help = wordsFor(lang).notice.help();
    expect(help.length).toBe(COMMANDS.length + 1);
    for (const usage of ["/join #ROOM", "/leave", "/rooms", "/topic [TEXT]", "/mode plain|json"])
      expect(help.some((line) => line.trimStart().startsWith(`${usage} `))).toBe(true);
  }
});

/** One event of each type, and each form a type takes. */
const EVENTS: Event[] = [
  { type: "welcome", name: "bob", present: [{ name: "alice" }], motd: [], lang: "en" },
  { type: "join", name: "bob", room: "#dev" },
  { type: "leave", name: "bob", room: "#dev" },
  { type: "leave", name: "bob", reason: "kicked", room: "#dev" },
  { type: "leave", name: "bob", room: "#main", to: "#dev" },
  { type: "nick", from: "bob", to: "robert", room: "#dev" },
  { type: "room", room: "#dev", topic: "rust", present: [{ name: "alice" }] },
  { type: "topic", room: "#dev", from: "bob", text: "rust" },
];

test.each(EVENTS.map((event) => [JSON.stringify(event), event] as const))("%s reads differently in Chinese", (_, event) => {
  const [en, zh] = LANGS.map((lang) => renderPlain(event, wordsFor(lang)));
  expect(zh!.length).toBe(en!.length);
  for (let i = 0; i < en!.length; i++) {
    expect(zh![i]).not.toBe(en![i]!);
    expect(zh![i]).toMatch(HAN);
  }
});

test("the words of the room in each language, as PRODUCT.md spells them", () => {
  const say = (words: Words) => [
    words.notice.nowIn("#dev"),
    words.wentTo("bob", "#dev"),
    words.notice.topic("rust"),
    words.notice.noTopic,
    words.topicSet("bob", "rust"),
  ];
  expect(say(wordsFor("en"))).toEqual(["you are now in #dev", "bob went to #dev", "topic: rust", "no topic", "bob set the topic: rust"]);
  expect(say(wordsFor("zh"))).toEqual(["你已进入 #dev", "bob 前往 #dev", "话题: rust", "没有话题", "bob 设置了话题: rust"]);
});

test("/rooms lines are the same in both languages: # name, people, topic", () => {
  const event: Event = { type: "rooms", rooms: [{ room: "#dev", people: 3, topic: "rust" }, { room: "#main", people: 12 }] };
  for (const lang of LANGS) expect(renderPlain(event, wordsFor(lang))).toEqual(["* #dev (3): rust", "* #main (12)"]);
});
