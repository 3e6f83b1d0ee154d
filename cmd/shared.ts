// What both commands share: the logger, the --log-level option, and turning an error into a line and an exit code.
import { createConsola, type ConsolaInstance } from "consola/basic";
import { usageError } from "../core/errors.ts";
import { pick } from "../core/options.ts";

export const LOG_LEVELS = { silent: -999, error: 0, warn: 1, info: 3, debug: 4 } as const;
type LogLevel = keyof typeof LOG_LEVELS;

export const sharedArgs = {
  "log-level": {
    type: "string",
    description: "silent, error, warn, info or debug (default info) [CHAT_LOG_LEVEL]",
    valueHint: "LEVEL",
  },
} as const;

/**
 * consola on stderr only: serve's stdout stays empty and connect's holds the conversation. Its
 * basic reporter (`[info] …`): the fancy one's icons and colours cost a server 8 MB of memory.
 */
export function createLog(args: Record<string, unknown>): ConsolaInstance {
  const level = pick(args, process.env, "log-level") ?? "info";
  if (!(level in LOG_LEVELS)) throw usageError(`bad --log-level: expected ${Object.keys(LOG_LEVELS).join(", ")}, not "${level}"`);
  // An explicit level: under `bun test` NODE_ENV=test would otherwise hide info.
  return createConsola({ level: LOG_LEVELS[level as LogLevel], stdout: process.stderr, stderr: process.stderr });
}
