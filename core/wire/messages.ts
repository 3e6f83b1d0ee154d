// Every line a user reads: events rendered as plain text, and every reply, in English or in the seed's Chinese.
import type { Event, Presence, Reason, RoomInfo, Said } from "./events.ts";
import { COMMANDS } from "./commands.ts";
import { formatDuration } from "./duration.ts";
import { MAX_NAME, type NameFault } from "./sanitize.ts";

export type Lang = "en" | "zh";
export const LANGS: readonly Lang[] = ["en", "zh"];

/** A ban as /bans lists it. */
export interface BanEntry {
  range: string;
  label?: string;
  leftMs?: number;
}

/** Replies to one user, and notices to a room; the text after `* `. */
export interface Notices {
  lineTooLong(max: number): string;
  slowDown: string;
  serverFull: string;
  shuttingDown: string;
  /** Redis is away: what is said is held until it is back. */
  reconnecting: string;
  reconnected: string;
  who(present: readonly Presence[]): string;
  unknownCommand(command: string): string;
  usage(usage: string): string;
  nameTaken(name: string): string;
  nameInvalid(name: string, fault: NameFault): string;
  nameUnchanged(name: string): string;
  noSuchUser(name: string): string;
  isAway(name: string, text: string): string;
  nowAway(text: string): string;
  back: string;
  notAway: string;
  unknownMode(mode: string): string;
  // Before one is in the room.
  password: string;
  wrongPassword: string;
  banned: string;
  // Operators.
  noOperators: string;
  wrongOpPassword: string;
  noMoreOpTries: string;
  nowOperator: string;
  alreadyOperator: string;
  operatorsOnly: string;
  notYourself: string;
  muted: string;
  kickedYou(by: string, reason: string): string;
  bannedYou(by: string): string;
  nowMuted(name: string, ms?: number): string;
  unmuted(name: string): string;
  notMuted(name: string): string;
  badTarget(target: string): string;
  ownRange(range: string): string;
  bannedRange(range: string, ms?: number): string;
  unbanned(ranges: string[]): string;
  noBan(target: string): string;
  bans(bans: BanEntry[]): string;
  help(): string[];
  // Rooms; room names come with their `#`.
  nowIn(room: string): string;
  topic(text: string): string;
  noTopic: string;
  tooManyRooms: string;
  alreadyIn(room: string): string;
  roomInvalid(room: string, fault: NameFault): string;
}

/** The words that differ by language. */
export interface Words {
  lang: Lang;
  youAre(name: string): string;
  /** The names of who is here; total: how many are here, when names lists only the first of them. */
  present(names: string[], total?: number): string;
  /** After a list of the first `listed` names of `total`: how many more there are, and how to see them all ("" when none). */
  more(listed: number, total: number): string;
  arrived(name: string): string;
  left(name: string, reason?: Reason): string;
  /** Said to the room someone moved out of. */
  wentTo(name: string, room: string): string;
  renamed(from: string, to: string): string;
  topicSet(name: string, text: string): string;
  notice: Notices;
}

const because = (reason?: Reason) => (reason ? ` (${reason})` : "");
/** Between the names of a list, in every language. */
export const NAME_SEPARATOR = ", ";
/**
 * A newcomer's `Present:` names at most this many people; past it, the line says how many more
 * there are and that /who lists everyone. In a room of 10 000 the whole list is 170 KB for each
 * newcomer, to be read by a person who wanted to know who is around.
 */
export const PRESENT_MAX = 50;

/** `#dev`: how a room is written wherever it is shown. */
export function roomTag(name: string): string {
  return `#${name}`;
}

/** One line of /rooms, the same in every language: `#dev (3): TOPIC`. */
export function roomLine(info: RoomInfo): string {
  return `${info.room} (${info.people})${info.topic === undefined ? "" : `: ${info.topic}`}`;
}

/** `/help`: the commands, each with its summary in the language given. */
function helpLines(title: string, summary: (usage: string, english: string) => string): string[] {
  const width = Math.max(...COMMANDS.map((c) => c.usage.length));
  return [title, ...COMMANDS.map((c) => `  ${c.usage.padEnd(width)}  ${summary(c.usage, c.summary)}`)];
}

const ENGLISH_FAULTS: Record<NameFault, (what: string) => string> = {
  empty: (what) => `${what} needs at least one character`,
  long: (what) => `${what} has at most ${MAX_NAME} characters`,
  space: (what) => `${what} cannot hold a space`,
  chars: (what) => `${what} may hold only letters, digits, _, - and .`,
};

/** Replies a program reads (chat connect answers the password prompt), the same in every language. */
export const PROTOCOL_NOTICES = { password: "password:", wrongPassword: "wrong password" } as const;

const ENGLISH_NOTICES: Notices = {
  lineTooLong: (max) => `line too long (max ${max} bytes)`,
  slowDown: "slow down",
  serverFull: "server is full",
  shuttingDown: "server shutting down",
  reconnecting: "reconnecting to the cluster",
  reconnected: "reconnected",
  who: (present) => `Present: ${present.map(describePresence).join(NAME_SEPARATOR)}`,
  unknownCommand: (command) => `unknown command ${command} (try /help)`,
  usage: (usage) => `usage: ${usage}`,
  nameTaken: (name) => `name ${name} is taken`,
  nameInvalid: (name, fault) => `cannot use the name "${name}": ${ENGLISH_FAULTS[fault]("a name")}`,
  nameUnchanged: (name) => `you are already ${name}`,
  noSuchUser: (name) => `no one here is called ${name}`,
  isAway: (name, text) => (text ? `${name} is away: ${text}` : `${name} is away`),
  nowAway: (text) => (text ? `you are away: ${text}` : "you are away"),
  back: "you are back",
  notAway: "you were not away",
  unknownMode: (mode) => `unknown mode ${mode} (plain or json)`,
  password: PROTOCOL_NOTICES.password,
  wrongPassword: PROTOCOL_NOTICES.wrongPassword,
  banned: "you are banned",
  noOperators: "this room has no operators",
  wrongOpPassword: "wrong operator password",
  noMoreOpTries: "no more /op tries on this connection",
  nowOperator: "you are an operator",
  alreadyOperator: "you are already an operator",
  operatorsOnly: "only operators can do that",
  notYourself: "not on yourself",
  muted: "you are muted",
  kickedYou: (by, reason) => `you were kicked by ${by}${reason ? `: ${reason}` : ""}`,
  bannedYou: (by) => `you were banned by ${by}`,
  nowMuted: (name, ms) => `${name} has been muted${ms ? ` for ${formatDuration(ms)}` : ""}`,
  unmuted: (name) => `${name} may talk again`,
  notMuted: (name) => `${name} is not muted`,
  badTarget: (target) => `${target} is neither someone here nor an IP address or CIDR range`,
  ownRange: (range) => `${range} holds your own address`,
  bannedRange: (range, ms) => `banned ${range}${ms ? ` for ${formatDuration(ms)}` : ""}`,
  unbanned: (ranges) => `unbanned ${ranges.join(NAME_SEPARATOR)}`,
  noBan: (target) => `no ban matches ${target}`,
  bans: (bans) =>
    bans.length === 0
      ? "no bans"
      : `Bans: ${bans.map((b) => [b.range, b.label && `(${b.label})`, b.leftMs !== undefined && `for ${formatDuration(b.leftMs)} more`].filter(Boolean).join(" ")).join(NAME_SEPARATOR)}`,
  help: () => helpLines("Commands:", (_usage, english) => english),
  nowIn: (room) => `you are now in ${room}`,
  topic: (text) => `topic: ${text}`,
  noTopic: "no topic",
  tooManyRooms: "too many rooms",
  alreadyIn: (room) => `you are already in ${room}`,
  roomInvalid: (room, fault) => `cannot use the room name "${room}": ${ENGLISH_FAULTS[fault]("a room name")}`,
};

/** What /help says of each command in Chinese, by its usage. */
export const CHINESE_SUMMARIES: Record<string, string> = {
  "/nick NAME": "改名",
  "/who": "列出这个房间里的人",
  "/msg NAME TEXT": "只发给 NAME 一个人",
  "/me TEXT": "说说你在做什么",
  "/away [TEXT]": "标记自己为离开",
  "/back": "你回来了",
  "/join #ROOM": "进入一个房间 (没有就创建)",
  "/leave": "回到 #main",
  "/rooms": "列出所有房间",
  "/topic [TEXT]": "查看或设置房间的话题",
  "/help": "这个列表",
  "/mode plain|json": "纯文本, 或者给程序用的每行一个 JSON 事件",
  "/quit": "离开聊天",
  "/op PASSWORD": "成为管理员",
  "/kick NAME [REASON]": "管理员: 把 NAME 踢出去",
  "/mute NAME [DURATION]": "管理员: 禁止 NAME 说话, 例如 10m",
  "/unmute NAME": "管理员: 让 NAME 重新说话",
  "/ban NAME|IP|CIDR [DURATION]": "管理员: 封禁一个地址, 例如 1h",
  "/unban NAME|IP|CIDR": "管理员: 解除封禁",
  "/bans": "管理员: 列出封禁",
  "//TEXT": "发送以 / 开头的一行",
};

const CHINESE_FAULTS: Record<NameFault, (what: string) => string> = {
  empty: (what) => `${what}至少要有一个字符`,
  long: (what) => `${what}最多 ${MAX_NAME} 个字符`,
  space: (what) => `${what}不能包含空格`,
  chars: (what) => `${what}只能包含字母、数字、_、- 和 .`,
};

/** `bob (离开: lunch)` in /who. */
function describeInChinese(p: Presence): string {
  return p.away === undefined ? p.name : p.away ? `${p.name} (离开: ${p.away})` : `${p.name} (离开)`;
}

const CHINESE_NOTICES: Notices = {
  lineTooLong: (max) => `这一行太长了 (最多 ${max} 字节)`,
  slowDown: "请慢一点",
  serverFull: "服务器已满",
  shuttingDown: "服务器正在关闭",
  reconnecting: "正在重新连接集群",
  reconnected: "已重新连接",
  who: (present) => `在线: ${present.map(describeInChinese).join(NAME_SEPARATOR)}`,
  unknownCommand: (command) => `未知命令 ${command} (试试 /help)`,
  usage: (usage) => `用法: ${usage}`,
  nameTaken: (name) => `名字 ${name} 已被占用`,
  nameInvalid: (name, fault) => `不能使用名字 "${name}": ${CHINESE_FAULTS[fault]("名字")}`,
  nameUnchanged: (name) => `你已经叫 ${name} 了`,
  noSuchUser: (name) => `这里没有叫 ${name} 的人`,
  isAway: (name, text) => (text ? `${name} 离开了: ${text}` : `${name} 离开了`),
  nowAway: (text) => (text ? `你已离开: ${text}` : "你已离开"),
  back: "你回来了",
  notAway: "你并没有离开",
  unknownMode: (mode) => `未知模式 ${mode} (plain 或 json)`,
  // chat connect reads these two before it knows the room's language: the same words in every language.
  password: PROTOCOL_NOTICES.password,
  wrongPassword: PROTOCOL_NOTICES.wrongPassword,
  banned: "你已被封禁",
  noOperators: "这里没有管理员",
  wrongOpPassword: "管理员密码错误",
  noMoreOpTries: "这个连接不能再尝试 /op 了",
  nowOperator: "你现在是管理员",
  alreadyOperator: "你已经是管理员了",
  operatorsOnly: "只有管理员可以这样做",
  notYourself: "不能对你自己这样做",
  muted: "你已被禁言",
  kickedYou: (by, reason) => `你被 ${by} 踢出${reason ? `: ${reason}` : ""}`,
  bannedYou: (by) => `你被 ${by} 封禁了`,
  nowMuted: (name, ms) => `${name} 已被禁言${ms ? ` ${formatDuration(ms)}` : ""}`,
  unmuted: (name) => `${name} 可以说话了`,
  notMuted: (name) => `${name} 没有被禁言`,
  badTarget: (target) => `${target} 既不是这里的人, 也不是 IP 地址或 CIDR 范围`,
  ownRange: (range) => `${range} 包含你自己的地址`,
  bannedRange: (range, ms) => `已封禁 ${range}${ms ? ` ${formatDuration(ms)}` : ""}`,
  unbanned: (ranges) => `已解封 ${ranges.join(NAME_SEPARATOR)}`,
  noBan: (target) => `没有与 ${target} 匹配的封禁`,
  bans: (bans) =>
    bans.length === 0
      ? "没有封禁"
      : `封禁: ${bans.map((b) => [b.range, b.label && `(${b.label})`, b.leftMs !== undefined && `还剩 ${formatDuration(b.leftMs)}`].filter(Boolean).join(" ")).join(NAME_SEPARATOR)}`,
  help: () => helpLines("命令:", (usage, english) => CHINESE_SUMMARIES[usage] ?? english),
  nowIn: (room) => `你已进入 ${room}`,
  topic: (text) => `话题: ${text}`,
  noTopic: "没有话题",
  tooManyRooms: "房间太多了",
  alreadyIn: (room) => `你已经在 ${room} 了`,
  roomInvalid: (room, fault) => `不能使用房间名 "${room}": ${CHINESE_FAULTS[fault]("房间名")}`,
};

const ENGLISH: Words = {
  lang: "en",
  youAre: (name) => `You are ${name}`,
  present: (names, total = names.length) => `Present: ${names.join(NAME_SEPARATOR)}${ENGLISH.more(names.length, total)}`,
  more: (listed, total) => (total > listed ? ` and ${total - listed} more (${total} in all; /who lists everyone)` : ""),
  arrived: (name) => `${name} has arrived`,
  left: (name, reason) => `${name} has left${because(reason)}`,
  wentTo: (name, room) => `${name} went to ${room}`,
  renamed: (from, to) => `${from} is now known as ${to}`,
  topicSet: (name, text) => `${name} set the topic: ${text}`,
  notice: ENGLISH_NOTICES,
};

const CHINESE: Words = {
  lang: "zh",
  youAre: (name) => `欢迎 ${name}`,
  present: (names, total = names.length) => `在线: ${names.join(NAME_SEPARATOR)}${CHINESE.more(names.length, total)}`,
  more: (listed, total) => (total > listed ? ` 等 ${total} 人 (/who 列出全部)` : ""),
  arrived: (name) => `${name} 上线`,
  left: (name, reason) => `${name} 下线${because(reason)}`,
  wentTo: (name, room) => `${name} 前往 ${room}`,
  renamed: (from, to) => `${from} 改名为 ${to}`,
  topicSet: (name, text) => `${name} 设置了话题: ${text}`,
  notice: CHINESE_NOTICES,
};

export function wordsFor(lang: Lang): Words {
  return lang === "zh" ? CHINESE : ENGLISH;
}

/** `bob (away: lunch)` in /who; plain `bob` otherwise. */
export function describePresence(p: Presence): string {
  return p.away === undefined ? p.name : p.away ? `${p.name} (away: ${p.away})` : `${p.name} (away)`;
}

/** A replayed chat line, marked with the time it was said (HH:MM, UTC) so it reads as history. */
export function historyLine(said: Said): string {
  const time = new Date(said.ts).toISOString().slice(11, 16);
  return said.type === "me" ? `[${time}] * ${said.from} ${said.text}` : `[${time}] ${said.from}: ${said.text}`;
}

/** `* you are now in #ROOM` and its topic, if it has one. */
function whereabouts(words: Words, room: string, topic: string | undefined): string[] {
  const here = `* ${words.notice.nowIn(room)}`;
  return topic === undefined ? [here] : [here, `* ${words.notice.topic(topic)}`];
}

/** `Present: …` with the first PRESENT_MAX names and how many in all; nothing when nobody else is there. */
function presentLine(words: Words, present: readonly Presence[]): string[] {
  return present.length === 0 ? [] : [words.present(present.slice(0, PRESENT_MAX).map((p) => p.name), present.length)];
}

/** The plain-protocol lines for an event. */
export function renderPlain(event: Event, words: Words): string[] {
  switch (event.type) {
    case "welcome": {
      // Arriving straight in another room (a /join sent at once) is said as a move is, topic and all.
      const moved = event.room !== undefined && event.room !== "#main" ? whereabouts(words, event.room, event.topic) : [];
      return [words.youAre(event.name), ...moved, ...presentLine(words, event.present), ...event.motd.map((line) => `* ${line}`)];
    }
    case "history":
      return event.lines.map(historyLine);
    case "join":
      return [words.arrived(event.name)];
    case "leave":
      return [event.to === undefined ? words.left(event.name, event.reason) : words.wentTo(event.name, event.to)];
    case "message":
      return [`${event.from}: ${event.text}`];
    case "me":
      return [`* ${event.from} ${event.text}`];
    case "nick":
      return [words.renamed(event.from, event.to)];
    case "private":
      return [`* ${event.from} -> ${event.to}: ${event.text}`];
    case "notice":
      return [`* ${event.text}`];
    case "room":
      return [...whereabouts(words, event.room, event.topic), ...presentLine(words, event.present)];
    case "topic":
      return [`* ${words.topicSet(event.from, event.text)}`];
    case "rooms":
      return event.rooms.map((info) => `* ${roomLine(info)}`);
  }
}

const encoder = new TextEncoder();
let welcome = new Uint8Array(4096);

/**
 * A newcomer's plain welcome as bytes: the lines renderPlain gives for the welcome event, built
 * around the first names already joined and encoded (roster.ts keeps them so): `listed` holds
 * the first min(total, PRESENT_MAX) names of the `total` people here. The bytes are a view of a
 * buffer the next call reuses (a member copies what it keeps).
 */
export function encodeWelcome(words: Words, name: string, listed: Uint8Array, total: number, motd: string[]): Uint8Array {
  const present = total > 0;
  // present() of no one is the line's lead.
  const head = encoder.encode(`${words.youAre(name)}\n${present ? words.present([]) : ""}`);
  const more = present ? words.more(Math.min(total, PRESENT_MAX), total) : "";
  const tail = encoder.encode(`${more}${present ? "\n" : ""}${motd.map((line) => `* ${line}\n`).join("")}`);
  const length = head.length + listed.length + tail.length;
  if (welcome.length < length) welcome = new Uint8Array(Math.max(length, welcome.length * 2));
  welcome.set(head);
  welcome.set(listed, head.length);
  welcome.set(tail, head.length + listed.length);
  return welcome.subarray(0, length);
}
