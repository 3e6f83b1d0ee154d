// The --state file: read once at start, rewritten whole after each change through a temporary file and a rename.

/** node:fs, loaded only with --state: loading it costs a server about 5 MB. */
const fs = () => require("node:fs") as typeof import("node:fs");
import { parseBans, serializeBans, type Ban } from "../chat/bans.ts";
import { ChatError, describeFileError, errorCode } from "../errors.ts";

/** The bans in the file; none if it does not exist yet. A file that cannot be read or understood is an error, never an empty list. */
export function loadBans(path: string): Ban[] {
  let text: string;
  try {
    text = fs().readFileSync(path, "utf8");
  } catch (error) {
    if (errorCode(error) === "ENOENT") return [];
    throw new ChatError(`cannot read --state ${path}: ${describeFileError(error, path)}`);
  }
  try {
    return parseBans(text);
  } catch (error) {
    throw new ChatError(`the --state file ${path} is corrupt: ${(error as Error).message}; fix or remove it`);
  }
}

/**
 * Replaces the file at once: a crash leaves the old file or the new one, never half of one.
 * Synchronous because bans change rarely and the next read of the file must see this write.
 * A failure is a ChatError naming the file, not the temporary one beside it.
 */
export function saveBans(path: string, bans: readonly Ban[]): void {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    fs().writeFileSync(temporary, serializeBans(bans), { mode: 0o600 });
    fs().renameSync(temporary, path);
  } catch (error) {
    try {
      fs().unlinkSync(temporary);
    } catch {
      // nothing was written, or it is already gone
    }
    throw new ChatError(`cannot write --state ${path}: ${describeFileError(error, path)}`);
  }
}
