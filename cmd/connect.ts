import { defineCommand } from "citty";
import { runPipe, type ClientMode, type Output } from "../core/client/pipe.ts";
import { runTerminal } from "../core/client/terminal.ts";
import { DEFAULT_PORT, parseAddress, parseHostAndPort, pick, pickBoolean } from "../core/options.ts";
import { usageError } from "../core/errors.ts";
import { nameProblem } from "../core/wire/sanitize.ts";
import type { TlsTrust } from "../core/client/tls.ts";
import { readFlagFile, readSecret } from "./shared.ts";
import { flag, option } from "./usage.ts";

// Each option names its group in the help (see usage.ts).
const connectArgs = {
  address: { type: "positional", required: false, description: `the room's host, with :PORT or not (default localhost:${DEFAULT_PORT}) [CHAT_ADDRESS]`, valueHint: "HOST[:PORT]" },
  port: { type: "positional", required: false, description: "the port, after the host as nc and telnet take it", valueHint: "PORT" },
  name: option("room", "your name in the room (default: your login name) [CHAT_NAME]", "NAME", "n"),
  room: option("room", "the room to join on arrival, with its # or not (default #main) [CHAT_ROOM]", "NAME"),
  "password-file": option("room", "file holding the room password (or set CHAT_PASSWORD) [CHAT_PASSWORD_FILE]", "FILE"),
  raw: flag("output", "print the server's lines untouched [CHAT_RAW]"),
  json: flag("output", "print one JSON event per line, for programs [CHAT_JSON]"),
  timestamps: flag("output", "show the time of each line on a terminal [CHAT_TIMESTAMPS]"),
  tls: flag("security", "connect over TLS, checking the server's certificate [CHAT_TLS]"),
  ca: option("security", "with --tls: trust only this PEM CA certificate, for a private CA [CHAT_CA]", "FILE"),
  insecure: flag("security", "with --tls: do not check the certificate (anyone on the path can listen in) [CHAT_INSECURE]"),
} as const;

export const examples: [string, string][] = [
  ["chat connect", "the room on this machine, port 8000"],
  ["chat connect chat.example.org 9000 -n ann", "a room elsewhere, as ann"],
  ["chat connect [::1]:9000", "IPv6 goes in brackets"],
  ["printf 'hello\\n' | chat connect", "say a line from a script, then leave"],
  ["chat connect --tls chat.example.org", "over TLS"],
];

function loginName(): string | undefined {
  try {
    const name = process.env.USER || process.env.LOGNAME || (require("node:os") as typeof import("node:os")).userInfo().username; // loaded here: the server has no use for node:os
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

function warn(message: string): void {
  process.stderr.write(`chat: ${message}\n`);
}

async function trust(args: Record<string, unknown>, env: typeof process.env): Promise<TlsTrust | undefined> {
  const caFile = pick(args, env, "ca");
  const insecure = pickBoolean(args, env, "insecure");
  if (!pickBoolean(args, env, "tls")) {
    if (caFile || insecure) throw usageError(`${caFile ? "--ca" : "--insecure"} needs --tls`);
    return undefined;
  }
  if (caFile && insecure) throw usageError("--ca and --insecure cannot be used together");
  if (insecure) warn("warning: --insecure: the server's certificate is not checked; anyone on the path can read and change the conversation");
  if (!caFile) return { insecure };
  return { ca: await readFlagFile(caFile, "--ca"), caFile };
}

export default defineCommand({
  meta: { name: "connect", description: "Join a chat room" },
  args: connectArgs,
  async run({ args }) {
    const env = process.env;
    const address = pick(args, env, "address");
    const { host, port } = typeof args.port === "string" ? parseHostAndPort(address, args.port) : parseAddress(address);
    const raw = pickBoolean(args, env, "raw");
    const json = pickBoolean(args, env, "json");
    if (raw && json) throw usageError("--raw and --json cannot be used together");
    const mode: ClientMode = raw ? "raw" : json ? "json" : "plain";
    const name = pick(args, env, "name");
    const badName = name === undefined ? undefined : nameProblem(name);
    if (badName) throw usageError(`bad --name "${name}": ${badName}`); // before connecting: the room never sees it
    const room = pick(args, env, "room");
    const badRoom = room === undefined ? undefined : nameProblem(room.replace(/^#/, ""));
    if (badRoom) throw usageError(`bad --room "${room}": ${badRoom}`);
    const tls = await trust(args, env);
    const password = await readSecret(pick(args, env, "password-file"), "--password-file", env.CHAT_PASSWORD);
    const common = {
      tls,
      password,
      host,
      port,
      name: name ?? loginName(),
      room: room?.replace(/^#/, ""),
      warn,
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
