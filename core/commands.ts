// What a line asks for: parseInput turns a cleaned line into an Input; COMMANDS is what /help prints.

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
  | { kind: "usage"; command: string; usage: string }
  | { kind: "unknown"; command: string };

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
  { usage: "/help", summary: "this list" },
  { usage: "/quit", summary: "leave the room" },
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
    default:
      return { kind: "unknown", command: `/${word}` };
  }
}
