import { defineCommand } from "citty";
import { userInfo } from "node:os";
import { runPipe, type ClientMode, type Output } from "../core/client.ts";
import { runTerminal } from "../core/terminal.ts";
import { parseAddress, pick, pickBoolean } from "../core/options.ts";
import { usageError } from "../core/errors.ts";
import { sharedArgs } from "./shared.ts";

export const connectArgs = {
  address: { type: "positional", required: false, description: "HOST[:PORT] of the room (default localhost:8000) [CHAT_ADDRESS]", valueHint: "HOST[:PORT]" },
  name: { type: "string", description: "your name in the room (default: your login name) [CHAT_NAME]", valueHint: "NAME" },
  raw: { type: "boolean", description: "print the server's lines untouched [CHAT_RAW]" },
  json: { type: "boolean", description: "print one JSON event per line, for programs [CHAT_JSON]" },
  timestamps: { type: "boolean", description: "show the time of each line on a terminal [CHAT_TIMESTAMPS]" },
  ...sharedArgs,
} as const;

function loginName(): string | undefined {
  try {
    const name = process.env.USER || process.env.LOGNAME || userInfo().username;
    return name && name !== "unknown" ? name : undefined; // Bun says "unknown" when it cannot tell
  } catch {
    return undefined;
  }
}

function stdoutSink(): Output {
  const writer = Bun.stdout.writer();
  return {
    write: (data) => void writer.write(data),
    flush: async () => void (await writer.flush()),
  };
}

export default defineCommand({
  meta: { name: "connect", description: "Join a chat room" },
  args: connectArgs,
  async run({ args }) {
    const env = process.env;
    const { host, port } = parseAddress(pick(args, env, "address"));
    const raw = pickBoolean(args, env, "raw");
    const json = pickBoolean(args, env, "json");
    if (raw && json) throw usageError("--raw and --json cannot be used together");
    const mode: ClientMode = raw ? "raw" : json ? "json" : "plain";
    const common = {
      host,
      port,
      name: pick(args, env, "name") ?? loginName(),
      warn: (message: string) => process.stderr.write(`chat: ${message}\n`),
    };
    // A person at a terminal gets the prompt; anything else gets lines.
    const interactive = mode === "plain" && process.stdin.isTTY === true && process.stdout.isTTY === true;
    const code = interactive
      ? await runTerminal({
          ...common,
          timestamps: pickBoolean(args, env, "timestamps"),
          color: !env.NO_COLOR && env.TERM !== "dumb",
          stdin: process.stdin,
          stdout: process.stdout,
        })
      : await runPipe({ ...common, mode, input: Bun.stdin.stream(), output: stdoutSink() });
    process.exit(code);
  },
});
