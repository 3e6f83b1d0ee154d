// What a line asks for: parseInput turns a cleaned line into an Input; COMMANDS is what /help prints.
import { toMilliseconds } from "./duration.ts";

export type Input =
  | { kind: "say"; text: string }
  | { kind: "nick"; name: string }
  | { kind: "who" }
  | { kind: "msg"; to: string; text: string }
  | { kind: "me"; text: string }
  | { kind: "away"; text: string }
  | { kind: "back" }
  | { kind: "help" }
  | { kind: "quit" }
  | { kind: "mode"; mode: string }
  /** room as typed, `#` or not: the hub says what is wrong with it. */
  | { kind: "join"; room: string }
  | { kind: "leave" }
  | { kind: "rooms" }
  /** Empty text: show the topic. */
  | { kind: "topic"; text: string }
  | Moderate
  | { kind: "usage"; command: string; usage: string }
  | { kind: "unknown"; command: string };

/** The operators' commands; durations are in milliseconds, absent for "until lifted". */
export type Moderate =
  | { kind: "op"; password: string }
  | { kind: "kick"; name: string; reason: string }
  | { kind: "mute"; name: string; ms?: number }
  | { kind: "unmute"; name: string }
  | { kind: "ban"; target: string; ms?: number }
  | { kind: "unban"; target: string }
  | { kind: "bans" };

export interface CommandHelp {
  usage: string;
  summary: string;
}

export const COMMANDS: readonly CommandHelp[] = [
  { usage: "/nick NAME", summary: "change your name" },
  { usage: "/who", summary: "list who is here" },
  { usage: "/msg NAME TEXT", summary: "send TEXT to NAME alone" },
  { usage: "/me TEXT", summary: "say what you are doing" },
  { usage: "/away [TEXT]", summary: "mark yourself away" },
  { usage: "/back", summary: "you are back" },
  { usage: "/join #ROOM", summary: "go to a room (made if new)" },
  { usage: "/leave", summary: "back to #main" },
  { usage: "/rooms", summary: "list the rooms" },
  { usage: "/topic [TEXT]", summary: "show or set the room's topic" },
  { usage: "/help", summary: "this list" },
  { usage: "/mode plain|json", summary: "lines as text, or one JSON event a line for programs" },
  { usage: "/quit", summary: "leave the chat" },
  { usage: "/op PASSWORD", summary: "become an operator" },
  { usage: "/kick NAME [REASON]", summary: "operators: put NAME out of the room" },
  { usage: "/mute NAME [DURATION]", summary: "operators: stop NAME talking, e.g. for 10m" },
  { usage: "/unmute NAME", summary: "operators: let NAME talk again" },
  { usage: "/ban NAME|IP|CIDR [DURATION]", summary: "operators: keep an address out, e.g. for 1h" },
  { usage: "/unban NAME|IP|CIDR", summary: "operators: lift a ban" },
  { usage: "/bans", summary: "operators: list the bans" },
  { usage: "//TEXT", summary: "send a line that starts with /" },
];

function usageOf(command: string): string {
  return COMMANDS.find((c) => c.usage.startsWith(`/${command} `) || c.usage === `/${command}`)?.usage ?? `/${command}`;
}

/** The command, and the rest of the line after one space. */
function split(line: string): [string, string] {
  const space = line.search(/\s/);
  return space < 0 ? [line.slice(1), ""] : [line.slice(1, space), line.slice(space + 1).trim()];
}

export function parseInput(line: string): Input {
  if (line.charCodeAt(0) !== 0x2f /* / */) return { kind: "say", text: line };
  if (line.startsWith("//")) return { kind: "say", text: line.slice(1) };
  const [word, rest] = split(line);
  const command = word.toLowerCase();
  const needs = (ok: boolean, input: Input): Input => (ok ? input : { kind: "usage", command, usage: usageOf(command) });
  switch (command) {
    case "nick": {
      return needs(rest !== "" && !/\s/.test(rest), { kind: "nick", name: rest });
    }
    case "who":
      return { kind: "who" };
    case "msg": {
      const [to = "", ...words] = rest.split(/\s+/);
      const text = rest.slice(to.length).trim();
      return needs(to !== "" && words.length > 0 && text !== "", { kind: "msg", to, text });
    }
    case "me":
      return needs(rest !== "", { kind: "me", text: rest });
    case "away":
      return { kind: "away", text: rest };
    case "back":
      return { kind: "back" };
    case "help":
      return { kind: "help" };
    case "quit":
      return { kind: "quit" };
    case "mode":
      return needs(rest !== "", { kind: "mode", mode: rest.toLowerCase() });
    case "join":
      return needs(rest !== "", { kind: "join", room: rest });
    case "leave":
      return { kind: "leave" };
    case "rooms":
      return { kind: "rooms" };
    case "topic":
      return { kind: "topic", text: rest };
    case "op":
      return needs(rest !== "", { kind: "op", password: rest });
    case "kick": {
      const [name = ""] = rest.split(/\s+/);
      return needs(name !== "", { kind: "kick", name, reason: rest.slice(name.length).trim() });
    }
    case "mute":
    case "ban": {
      // NAME|IP|CIDR, then an optional duration and nothing else.
      const [target = "", duration, ...more] = rest.split(/\s+/);
      const ms = duration === undefined ? undefined : toMilliseconds(duration);
      const ok = target !== "" && more.length === 0 && (duration === undefined || (ms !== undefined && ms > 0));
      return needs(ok, command === "mute" ? { kind: "mute", name: target, ms } : { kind: "ban", target, ms });
    }
    case "unmute":
      return needs(rest !== "" && !/\s/.test(rest), { kind: "unmute", name: rest });
    case "unban":
      return needs(rest !== "" && !/\s/.test(rest), { kind: "unban", target: rest });
    case "bans":
      return { kind: "bans" };
    default:
      return { kind: "unknown", command: `/${word}` };
  }
}
