// What the commands share: the server's logger with its --log-level and --log-format, and reading files and secrets named by flags.
import { createConsola, type ConsolaInstance, type ConsolaReporter, type LogObject } from "consola/core";
import { describeFileError, usageError } from "../core/errors.ts";
import { parseChoice, pick } from "../core/options.ts";
import { option } from "./usage.ts";

const LOG_LEVELS = { silent: -999, error: 0, warn: 1, info: 3, debug: 4 } as const;
type LogLevel = keyof typeof LOG_LEVELS;
const LOG_FORMATS = ["human", "json"] as const;

export const sharedArgs = {
  "log-level": option("logs", "silent, error, warn, info or debug (default info) [CHAT_LOG_LEVEL]", "LEVEL"),
  "log-format": option("logs", "human or json: one JSON object per line (default human) [CHAT_LOG_FORMAT]", "FORMAT"),
} as const;

/** The words of a log call: strings as they are, errors by their stack. */
function text(entry: LogObject): string {
  return entry.args.map((a) => (a instanceof Error ? (a.stack ?? a.message) : typeof a === "string" ? a : JSON.stringify(a))).join(" ");
}

/**
 * Log lines go out through console.error, which writes stderr synchronously. A server that never
 * touches process.stderr (Bun 1.4.4) is about 6 MB smaller, which is why consola's own reporters,
 * which write there, are not used.
 */
const emit = (line: string) => console.error("%s", line);

/** `[info] message`, as consola's basic reporter writes it. */
const humanReporter: ConsolaReporter = {
  log: (entry) => emit(`[${entry.type}] ${text(entry)}`),
};

/** One JSON object per line, for log collectors: time, level, message. */
const jsonReporter: ConsolaReporter = {
  log: (entry) => emit(JSON.stringify({ time: entry.date.toISOString(), level: entry.type, message: text(entry) })),
};

/** consola on stderr only: serve's stdout stays empty and connect's holds the conversation. */
export function createLog(args: Record<string, unknown>): ConsolaInstance {
  const level = parseChoice(pick(args, process.env, "log-level") ?? "info", "--log-level", Object.keys(LOG_LEVELS) as LogLevel[]);
  const format = parseChoice(pick(args, process.env, "log-format") ?? "human", "--log-format", LOG_FORMATS);
  // An explicit level: under `bun test` NODE_ENV=test would otherwise hide info.
  return createConsola({
    level: LOG_LEVELS[level],
    reporters: [format === "json" ? jsonReporter : humanReporter],
  });
}

/**
 * A password from its file (flag or CHAT_*_FILE), else from its variable; never from a flag's value,
 * which every local user can read in the process list. One final newline in the file is not part of it.
 */
export async function readSecret(file: string | undefined, flag: string, fromEnv: string | undefined): Promise<string | undefined> {
  let secret = fromEnv === "" ? undefined : fromEnv;
  if (file !== undefined) {
    secret = (await readFlagFile(file, flag)).replace(/\r?\n$/, "");
    if (secret === "") throw usageError(`${flag} ${file} is empty`);
  }
  return secret;
}

/** The text of a file named by a flag; one that cannot be read is a usage error naming the flag. */
export async function readFlagFile(file: string, flag: string): Promise<string> {
  try {
    return await Bun.file(file).text();
  } catch (error) {
    throw usageError(`cannot read ${flag} ${file}: ${describeFileError(error, file)}`);
  }
}
