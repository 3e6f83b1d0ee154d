#!/usr/bin/env bun
// The entry: `chat serve` and `chat connect`, help and the version, and errors turned into exit codes.
import { defineCommand, runCommand, type ArgsDef, type CommandDef } from "citty";
import { ChatError, usageError } from "../core/errors.ts";
import pkg from "../package.json" with { type: "json" };
import connect, { examples as connectExamples } from "./connect.ts";
import serve, { examples as serveExamples } from "./serve.ts";
import { asks, normalize, renderHelp, unknown, type Helped } from "./usage.ts";

const version = pkg.version; // bundled into the binary with the rest

const subCommands = { serve, connect } as Record<string, CommandDef<ArgsDef>>;

const main = defineCommand({
  meta: { name: "chat", version, description: `chat ${version}: a chat room over plain TCP. Serve one, or join one with chat connect, nc or telnet.` },
  subCommands,
});

const helps: Record<string, Helped> = {
  chat: {
    name: "chat",
    command: main as CommandDef<ArgsDef>,
    examples: [
      ["chat serve -p 9000", "run a room on port 9000"],
      ["chat connect localhost 9000", "join it (also localhost:9000)"],
      ["nc localhost 9000", "join it with nothing but nc"],
      ["chat help serve", "every option of serve"],
    ],
  },
  serve: { name: "chat serve", command: serve as CommandDef<ArgsDef>, examples: serveExamples },
  connect: { name: "chat connect", command: connect as CommandDef<ArgsDef>, examples: connectExamples },
};

function help(name: string): string {
  return renderHelp(helps[name]!, name === "chat" ? subCommands : undefined) + "\n";
}

/** `chat help`, `chat help serve`: as `--help`; an unknown command is a usage error. */
function helpFor(topic: string | undefined): string {
  if (topic === undefined) return help("chat");
  if (!subCommands[topic]) throw unknown("command", topic, [...Object.keys(subCommands), "help"]);
  return help(topic);
}

async function run(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  const sub = first === undefined ? undefined : subCommands[first];
  if (first === "help") {
    process.stdout.write(helpFor(rest[0]));
    return 0;
  }
  if (asks(argv, "help")) {
    process.stdout.write(help(sub ? first! : "chat"));
    return 0;
  }
  if (asks(sub ? rest : argv, "version")) {
    process.stdout.write(`${version}\n`);
    return 0;
  }
  if (first === undefined) {
    process.stderr.write(help("chat") + "\nchat: a command is needed: serve or connect\n");
    return 2;
  }
  if (!sub) {
    const error = first.startsWith("-")
      ? unknown("option", first, ["help", "version"], "--")
      : unknown("command", first, [...Object.keys(subCommands), "help"]);
    throw error;
  }
  await runCommand(sub, { rawArgs: normalize(sub, rest) });
  return 0;
}

try {
  process.exit(await run(process.argv.slice(2)));
} catch (caught) {
  // citty's own usage errors (CLIError, not exported) are usage errors like ours.
  const error = caught instanceof Error && caught.name === "CLIError" ? usageError(caught.message) : caught;
  if (!(error instanceof ChatError)) throw error; // a bug: keep the stack
  process.stderr.write(`chat: ${error.message}\n`); // one line: the message names the flag, or the address, at fault
  process.exit(error.exitCode);
}
