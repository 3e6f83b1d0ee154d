// Every line a user reads: events rendered as plain text, in English or in the seed's Chinese.
import type { Event, Presence, Reason, Said } from "./events.ts";
import { COMMANDS } from "./commands.ts";
import { formatDuration } from "./duration.ts";

export type Lang = "en" | "zh";
export const LANGS: readonly Lang[] = ["en", "zh"];

/** The words that differ by language: the four events of the seed. */
export interface Words {
  lang: Lang;
  youAre(name: string): string;
  /** The names of who is here; total: how many are here, when names lists only the first of them. */
  present(names: string[], total?: number): string;
  /** After a list of the first `listed` names of `total`: how many more there are, and how to see them all ("" when none). */
  more(listed: number, total: number): string;
  arrived(name: string): string;
  left(name: string, reason?: Reason): string;
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

const ENGLISH: Words = {
  lang: "en",
  youAre: (name) => `You are ${name}`,
  present: (names, total = names.length) => `Present: ${names.join(NAME_SEPARATOR)}${ENGLISH.more(names.length, total)}`,
  more: (listed, total) => (total > listed ? ` and ${total - listed} more (${total} in all; /who lists everyone)` : ""),
  arrived: (name) => `${name} has arrived`,
  left: (name, reason) => `${name} has left${because(reason)}`,
};

const CHINESE: Words = {
  lang: "zh",
  youAre: (name) => `欢迎 ${name}`,
  present: (names, total = names.length) => `在线: ${names.join(NAME_SEPARATOR)}${CHINESE.more(names.length, total)}`,
  more: (listed, total) => (total > listed ? ` 等 ${total} 人 (/who 列出全部)` : ""),
  arrived: (name) => `${name} 上线`,
  left: (name, reason) => `${name} 下线${because(reason)}`,
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

/** The plain-protocol lines for an event. */
export function renderPlain(event: Event, words: Words): string[] {
  switch (event.type) {
    case "welcome": {
      const lines = [words.youAre(event.name)];
      const { present } = event;
      if (present.length > 0) lines.push(words.present(present.slice(0, PRESENT_MAX).map((p) => p.name), present.length));
      for (const line of event.motd) lines.push(`* ${line}`);
      return lines;
    }
    case "history":
      return event.lines.map(historyLine);
    case "join":
      return [words.arrived(event.name)];
    case "leave":
      return [words.left(event.name, event.reason)];
    case "message":
      return [`${event.from}: ${event.text}`];
    case "me":
      return [`* ${event.from} ${event.text}`];
    case "nick":
      return [`${event.from} is now known as ${event.to}`];
    case "private":
      return [`* ${event.from} -> ${event.to}: ${event.text}`];
    case "notice":
      return [`* ${event.text}`];
  }
}

/** `45s`, `10m`, `1h30m`, `2d`: rounded up to the second, largest units first. */

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

/** Replies to one user; the text after `* `. */
export const NOTICE = {
  lineTooLong: (max: number) => `line too long (max ${max} bytes)`,
  slowDown: "slow down",
  serverFull: "server is full",
  shuttingDown: "server shutting down",
  who: (present: readonly Presence[]) => `Present: ${present.map(describePresence).join(", ")}`,
  unknownCommand: (command: string) => `unknown command ${command} (try /help)`,
  usage: (usage: string) => `usage: ${usage}`,
  nameTaken: (name: string) => `name ${name} is taken`,
  nameInvalid: (name: string, why: string) => `cannot use the name "${name}": ${why}`,
  nameUnchanged: (name: string) => `you are already ${name}`,
  noSuchUser: (name: string) => `no one here is called ${name}`,
  isAway: (name: string, text: string) => (text ? `${name} is away: ${text}` : `${name} is away`),
  nowAway: (text: string) => (text ? `you are away: ${text}` : "you are away"),
  back: "you are back",
  notAway: "you were not away",
  unknownMode: (mode: string) => `unknown mode ${mode} (plain or json)`,
  // Before one is in the room.
  password: "password:",
  wrongPassword: "wrong password",
  banned: "you are banned",
  // Operators.
  noOperators: "this room has no operators",
  wrongOpPassword: "wrong operator password",
  noMoreOpTries: "no more /op tries on this connection",
  nowOperator: "you are an operator",
  alreadyOperator: "you are already an operator",
  operatorsOnly: "only operators can do that",
  notYourself: "not on yourself",
  muted: "you are muted",
  kickedYou: (by: string, reason: string) => `you were kicked by ${by}${reason ? `: ${reason}` : ""}`,
  bannedYou: (by: string) => `you were banned by ${by}`,
  nowMuted: (name: string, ms?: number) => `${name} has been muted${ms ? ` for ${formatDuration(ms)}` : ""}`,
  unmuted: (name: string) => `${name} may talk again`,
  notMuted: (name: string) => `${name} is not muted`,
  badTarget: (target: string) => `${target} is neither someone here nor an IP address or CIDR range`,
  ownRange: (range: string) => `${range} holds your own address`,
  bannedRange: (range: string, ms?: number) => `banned ${range}${ms ? ` for ${formatDuration(ms)}` : ""}`,
  unbanned: (ranges: string[]) => `unbanned ${ranges.join(", ")}`,
  noBan: (target: string) => `no ban matches ${target}`,
  bans: (bans: { range: string; label?: string; leftMs?: number }[]) =>
    bans.length === 0
      ? "no bans"
      : `Bans: ${bans.map((b) => [b.range, b.label && `(${b.label})`, b.leftMs !== undefined && `for ${formatDuration(b.leftMs)} more`].filter(Boolean).join(" ")).join(", ")}`,
  help: (): string[] => {
    const width = Math.max(...COMMANDS.map((c) => c.usage.length));
    return ["Commands:", ...COMMANDS.map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`)];
  },
};
