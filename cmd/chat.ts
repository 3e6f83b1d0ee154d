#!/usr/bin/env bun
// The entry: `chat serve` and `chat connect`, --help and --version, and errors turned into exit codes.
import { defineCommand, renderUsage, runCommand, type ArgsDef, type CommandDef } from "citty";
import { ChatError, usageError } from "../core/errors.ts";
import pkg from "../package.json" with { type: "json" };
import connect from "./connect.ts";
import serve from "./serve.ts";

const version = pkg.version; // bundled into the binary with the rest

const subCommands = { serve, connect } as Record<string, CommandDef<ArgsDef>>;

const main = defineCommand({
  meta: { name: "chat", version, description: "A chat room over plain TCP: serve one, or join one" },
  subCommands,
});

/** citty accepts unknown flags silently; a typo should be an error. */
function checkFlags(command: CommandDef<ArgsDef>, argv: string[]): void {
  const args = (command.args ?? {}) as ArgsDef;
  const known = new Map<string, string>();
  for (const [name, def] of Object.entries(args)) if (def.type !== "positional") known.set(name, def.type ?? "string");
  let positionals = 0;
  const maxPositionals = Object.values(args).filter((d) => d.type === "positional").length;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") break;
    if (!arg.startsWith("-") || arg === "-") {
      if (++positionals > maxPositionals) throw usageError(`unexpected argument "${arg}"`);
      continue;
    }
    const flag = arg.replace(/^--?(no-)?/, "").split("=")[0]!;
    const type = known.get(flag);
    if (!type) throw usageError(`unknown option ${arg.split("=")[0]}`);
    if (type === "string" && !arg.includes("=")) {
      if (i + 1 >= argv.length) throw usageError(`option --${flag} needs a value`);
      i++;
    }
  }
}

/** citty colours its usage even in a pipe; only a terminal gets colour. */
async function usage(command: CommandDef<ArgsDef>, tty: boolean | undefined): Promise<string> {
  const text = await renderUsage(command, command === main ? undefined : main);
  const plain = tty && !process.env.NO_COLOR ? text : text.replace(/\x1b\[[0-9;]*m/g, "");
  return plain.replace(/[ \t]+$/gm, "");
}

async function run(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  const sub = first === undefined ? undefined : subCommands[first];
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write((await usage(sub ?? main, process.stdout.isTTY)) + "\n");
    return 0;
  }
  if (!sub && (first === "--version" || first === "-v")) {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  if (!sub) {
    process.stderr.write((await usage(main, process.stderr.isTTY)) + "\n\n");
    process.stderr.write(first === undefined ? "chat: a command is needed: serve or connect\n" : `chat: unknown command "${first}"\n`);
    return 2;
  }
  try {
    checkFlags(sub, rest);
    await runCommand(sub, { rawArgs: rest });
    return 0;
  } catch (caught) {
    // citty's own usage errors (CLIError, not exported) are usage errors like ours.
    const error = caught instanceof Error && caught.name === "CLIError" ? usageError(caught.message) : caught;
    if (error instanceof ChatError) {
      process.stderr.write(`chat: ${error.message}\n`); // one line: the message names the flag, or the address, at fault
      return error.exitCode;
    }
    throw error; // a bug: keep the stack
  }
}

process.exit(await run(process.argv.slice(2)));
