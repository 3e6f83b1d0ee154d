import { defineCommand } from "citty";
import { usageError } from "../core/errors.ts";
import { LANGS, wordsFor, type Lang } from "../core/messages.ts";
import { parseCount, parseDuration, parsePort, parseRate, parseSize, pick, pickBoolean, type Env } from "../core/options.ts";
import { ChatServer, type ServerOptions } from "../core/server.ts";
import { createLog, sharedArgs } from "./shared.ts";

const option = (description: string, valueHint: string) => ({ type: "string", description, valueHint }) as const;

export const serveArgs = {
  host: option("address to listen on (default 0.0.0.0) [CHAT_HOST]", "HOST"),
  port: option("port to listen on, 0 for any free port (default 8000) [CHAT_PORT]", "PORT"),
  lang: option("language of the room's words: en or zh (default en) [CHAT_LANG]", "LANG"),
  anonymous: { type: "boolean", description: "name newcomers guest-N instead of by their address [CHAT_ANONYMOUS]" },
  history: option("chat lines replayed to a newcomer, 0 = off (default 20) [CHAT_HISTORY]", "N"),
  motd: option("file whose lines every newcomer sees after the welcome [CHAT_MOTD]", "FILE"),
  "max-line": option("longest line in bytes; longer ones are dropped (default 4096) [CHAT_MAX_LINE]", "BYTES"),
  "max-queue": option("bytes queued for a client that does not read before it is dropped (default 1MiB) [CHAT_MAX_QUEUE]", "BYTES"),
  rate: option("lines a second per client, 0 = no flood control (default 5) [CHAT_RATE]", "N"),
  burst: option("lines a client may send at once (default 50) [CHAT_BURST]", "N"),
  "max-clients": option("clients in all, 0 = no limit (default 10000) [CHAT_MAX_CLIENTS]", "N"),
  "max-per-ip": option("clients from one IP address, 0 = no limit (default 16) [CHAT_MAX_PER_IP]", "N"),
  idle: option("drop clients silent this long, e.g. 5m; 0 = never (default off) [CHAT_IDLE]", "DURATION"),
  ...sharedArgs,
} as const;

/** Flags, then CHAT_* variables, then defaults. */
export function serveOptions(args: Record<string, unknown>, env: Env): Omit<ServerOptions, "motd"> & { motdFile?: string } {
  const get = (flag: string) => pick(args, env, flag);
  const lang = get("lang") ?? "en";
  if (!LANGS.includes(lang as Lang)) throw usageError(`bad --lang: expected ${LANGS.join(" or ")}, not "${lang}"`);
  const maxLine = parseSize(get("max-line") ?? "4096", "--max-line");
  if (maxLine < 1) throw usageError("bad --max-line: must be at least 1 byte");
  return {
    host: get("host") ?? "0.0.0.0",
    port: parsePort(get("port") ?? "8000"),
    words: wordsFor(lang as Lang),
    anonymous: pickBoolean(args, env, "anonymous"),
    history: parseCount(get("history") ?? "20", "--history"),
    motdFile: get("motd"),
    maxLine,
    maxQueue: parseSize(get("max-queue") ?? "1MiB", "--max-queue"),
    rate: parseRate(get("rate") ?? "5", "--rate"),
    burst: parseCount(get("burst") ?? "50", "--burst"),
    maxClients: parseCount(get("max-clients") ?? "10000", "--max-clients"),
    maxPerIp: parseCount(get("max-per-ip") ?? "16", "--max-per-ip"),
    idleMs: parseDuration(get("idle") ?? "0", "--idle"),
  };
}

async function readMotd(file: string | undefined): Promise<string[]> {
  if (!file) return [];
  try {
    const text = await Bun.file(file).text();
    return text.split(/\r?\n/).filter((line, i, all) => line !== "" || i < all.length - 1);
  } catch {
    throw usageError(`cannot read --motd file ${file}`);
  }
}

export default defineCommand({
  meta: { name: "serve", description: "Run a chat room that anyone can join with chat connect, nc or telnet" },
  args: serveArgs,
  async run({ args }) {
    const log = createLog(args);
    const { motdFile, ...options } = serveOptions(args, process.env);
    const server = new ChatServer({ ...options, motd: await readMotd(motdFile) }, log);
    server.listen();
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    log.info("shutting down");
    await server.stop();
  },
});
