// The command line's own words: options declared with their group, help that fits 80 columns, and "did you mean".
import type { ArgsDef, CommandDef } from "citty";
import { usageError, type ChatError } from "../core/errors.ts";

/** Where an option is listed in the help, in this order; a group with no options is not shown. */
export const GROUPS = {
  network: "Network",
  room: "The room",
  output: "Output",
  limits: "Limits",
  security: "Security",
  logs: "Logs",
  cluster: "Cluster",
  web: "Web",
} as const;
export type Group = keyof typeof GROUPS;

/**
 * An option as the commands declare it: citty's fields, the group it is listed under, and at most one
 * short name (`alias: "p"`). The description ends with its variable, `[CHAT_PORT]`.
 */
export function option(group: Group, description: string, valueHint: string, alias?: string) {
  return { type: "string", group, description, valueHint, ...(alias ? { alias } : {}) } as const;
}
export function flag(group: Group, description: string, alias?: string) {
  return { type: "boolean", group, description, ...(alias ? { alias } : {}) } as const;
}

interface Described {
  type?: string;
  description?: string;
  valueHint?: string;
  alias?: string | string[];
  group?: Group;
}

/** What every command also takes. */
const BUILTIN: Record<string, Described> = {
  help: { type: "boolean", alias: "h", description: "show this help" },
  version: { type: "boolean", alias: ["v", "V"], description: "print the version" },
};

const WIDTH = 80;
const INDENT = 2;
const COLUMN = 32; // where descriptions start: "      --op-password-file FILE" fits before it

function aliases(def: Described): string[] {
  return def.alias === undefined ? [] : Array.isArray(def.alias) ? def.alias : [def.alias];
}

/** `text` in lines of at most `width`, broken at spaces (a word longer than that keeps its line). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(line);
  return lines;
}

/** A term and its description: on one line if the term fits before the column, else the description below it. */
function entry(term: string, description: string): string[] {
  const pad = " ".repeat(COLUMN);
  const body = wrap(description, WIDTH - COLUMN);
  const head = " ".repeat(INDENT) + term;
  if (head.length < COLUMN - 1) return [head.padEnd(COLUMN) + (body[0] ?? ""), ...body.slice(1).map((l) => pad + l)];
  return [head, ...body.map((l) => pad + l)];
}

/** `-p, --port PORT`; without a short name, `    --motd FILE`, so that the long names line up as in GNU tools' help. */
function optionTerm(name: string, def: Described): string {
  const short = aliases(def).map((a) => `-${a}, `).join("") || "    ";
  return `${short}--${name}${def.type === "boolean" ? "" : ` ${def.valueHint ?? "VALUE"}`}`;
}

export interface Helped {
  name: string;
  command: CommandDef<ArgsDef>;
  /** Lines of `command   what it does`. */
  examples: readonly [string, string][];
}

/** The help of one command: what it does, its usage line, its arguments, its options by group, and examples. */
export function renderHelp({ name, command, examples }: Helped, subCommands?: Record<string, CommandDef<ArgsDef>>): string {
  const meta = command.meta as { description?: string; version?: string };
  const args = (command.args ?? {}) as Record<string, Described>;
  const positionals = Object.entries(args).filter(([, def]) => def.type === "positional");
  const out: string[] = [...wrap(meta.description ?? "", WIDTH), ""];
  const usage = subCommands ? `${name} COMMAND [OPTIONS]` : `${name} ${positionals.map(([, d]) => `[${d.valueHint}]`).join(" ")} [OPTIONS]`;
  out.push(`Usage: ${usage.replace(/ +/g, " ")}`, "");
  if (subCommands) {
    out.push("Commands:");
    for (const [sub, def] of Object.entries(subCommands)) out.push(...entry(sub, (def.meta as { description?: string }).description ?? ""));
    out.push(...entry("help [COMMAND]", "Show the help of chat or of a command"), "");
  }
  if (positionals.length > 0) {
    out.push("Arguments:");
    for (const [, def] of positionals) out.push(...entry(def.valueHint ?? "", def.description ?? ""));
    out.push("");
  }
  const options = Object.entries(args).filter(([, def]) => def.type !== "positional");
  for (const [group, title] of Object.entries(GROUPS)) {
    const members = options.filter(([, def]) => def.group === group); // options.test.ts: every option has one
    if (members.length === 0) continue;
    out.push(`${title}:`);
    for (const [option, def] of members) out.push(...entry(optionTerm(option, def), def.description ?? ""));
    out.push("");
  }
  out.push("General:");
  for (const [option, def] of Object.entries(BUILTIN)) out.push(...entry(optionTerm(option, def), def.description!));
  if (options.length > 0) out.push("", ...wrap("Every option has a twin in the environment, named in brackets; the flag wins.", WIDTH));
  if (examples.length > 0) {
    out.push("", "Examples:");
    for (const [example, what] of examples) out.push(...entry(example, what));
  }
  return out.join("\n");
}

/** Whether argv asks for help or the version (before any `--`). */
export function asks(argv: readonly string[], what: "help" | "version"): boolean {
  const names = [`--${what}`, ...aliases(BUILTIN[what]!).map((a) => `-${a}`)];
  const end = argv.indexOf("--");
  return (end < 0 ? argv : argv.slice(0, end)).some((arg) => names.includes(arg));
}

/** Edits between two words, a swap of neighbours counting as one: `versoin` is one from `version`. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  return d[a.length]![b.length]!;
}

/** The known word closest to a typo, if it is close enough to be what was meant. */
export function closest(typo: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const word of known) {
    const d = word.startsWith(typo) && typo.length >= 3 ? 1 : distance(typo, word);
    if (d < bestDistance) [best, bestDistance] = [word, d];
  }
  return bestDistance <= (typo.length <= 4 ? 1 : 2) ? best : undefined;
}

/** `unknown option --versoin; did you mean --version?`, or without the question when nothing is close. */
export function unknown(what: "option" | "command", typed: string, known: Iterable<string>, prefix = ""): ChatError {
  const guess = closest(typed.replace(/^-+/, ""), known);
  const shown = what === "command" ? `"${typed}"` : typed;
  return usageError(`unknown ${what} ${shown}${guess === undefined ? "" : `; did you mean ${prefix}${guess}?`}`);
}

/**
 * Checks argv against the command's options (citty accepts unknown flags silently; a typo should be an error)
 * and spells every short flag long (`-p 80` → `--port 80`), so citty and the repeatable flags' reader see one name.
 */
export function normalize(command: CommandDef<ArgsDef>, argv: readonly string[]): string[] {
  const args = { ...((command.args ?? {}) as Record<string, Described>), ...BUILTIN };
  const long = new Map<string, string>(); // name or short name → the option's name
  for (const [name, def] of Object.entries(args)) {
    if (def.type === "positional") continue;
    long.set(name, name);
    for (const alias of aliases(def)) long.set(alias, name);
  }
  const maxPositionals = Object.values(args).filter((def) => def.type === "positional").length;
  const out: string[] = [];
  let positionals = 0;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      out.push(...argv.slice(i));
      break;
    }
    if (!arg.startsWith("-") || arg === "-" || /^-\d/.test(arg)) {
      if (++positionals > maxPositionals) throw usageError(`unexpected argument "${arg}"`);
      out.push(arg);
      continue;
    }
    const [written, value] = splitOnce(arg, "=");
    const short = !written.startsWith("--");
    const bare = written.replace(/^--?/, "");
    const negated = !short && bare.startsWith("no-") && args[bare.slice(3)]?.type === "boolean";
    const name = short ? long.get(bare) : negated ? bare.slice(3) : args[bare] ? bare : undefined;
    if (name === undefined || (short && bare.length !== 1)) {
      const names = [...long.keys()].filter((key) => key.length > 1);
      throw unknown("option", written, names, "--");
    }
    const type = args[name]!.type ?? "string";
    const spelled = `--${negated ? "no-" : ""}${name}`;
    if (type === "boolean") {
      out.push(value === undefined ? spelled : `${spelled}=${value}`);
      continue;
    }
    if (value !== undefined) {
      out.push(`${spelled}=${value}`);
      continue;
    }
    if (i + 1 >= argv.length) throw usageError(`option ${spelled} needs a value`);
    out.push(spelled, argv[++i]!);
  }
  return out;
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}
