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
  present(names: string[]): string;
  arrived(name: string): string;
  left(name: string, reason?: Reason): string;
}

const because = (reason?: Reason) => (reason ? ` (${reason})` : "");
/** Between the names of a list, in every language. */
export const NAME_SEPARATOR = ", ";

const ENGLISH: Words = {
  lang: "en",
  youAre: (name) => `You are ${name}`,
  present: (names) => `Present: ${names.join(NAME_SEPARATOR)}`,
  arrived: (name) => `${name} has arrived`,
  left: (name, reason) => `${name} has left${because(reason)}`,
};

const CHINESE: Words = {
  lang: "zh",
  youAre: (name) => `欢迎 ${name}`,
  present: (names) => `在线: ${names.join(NAME_SEPARATOR)}`,
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
      if (event.present.length > 0) lines.push(words.present(event.present.map((p) => p.name)));
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
 * around the names already joined and encoded (roster.ts keeps them so), because in a big room
 * they are most of the line and it goes to every newcomer. The bytes are a view of a buffer the
 * next call reuses (a member copies what it keeps): 10 000 newcomers would otherwise leave
 * 10 000 lists of up to 170 KB each for the collector.
 */
export function encodeWelcome(words: Words, name: string, joinedNames: Uint8Array, motd: string[]): Uint8Array {
  const present = joinedNames.length > 0;
  // present() of no one is the line's lead.
  const head = encoder.encode(`${words.youAre(name)}\n${present ? words.present([]) : ""}`);
  const tail = encoder.encode(`${present ? "\n" : ""}${motd.map((line) => `* ${line}\n`).join("")}`);
  const length = head.length + joinedNames.length + tail.length;
  if (welcome.length < length) welcome = new Uint8Array(Math.max(length, welcome.length * 2));
  welcome.set(head);
  welcome.set(joinedNames, head.length);
  welcome.set(tail, head.length + joinedNames.length);
  return welcome.subarray(0, length);
}

/** Replies to one user; the text after `* `. */
export const NOTICE = {
  lineTooLong: (max: number) => `line too long (max ${max} bytes)`,
  slowDown: "slow down",
  serverFull: "server is full",
  shuttingDown: "server shutting down",
  reconnecting: "reconnecting to the cluster",
  reconnected: "reconnected",
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
