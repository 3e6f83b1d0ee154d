// A Lua script run by its digest, loaded again when Redis has forgotten it (after a restart).
import type { Link } from "./link.ts";

export class Script {
  readonly #source: string;
  readonly #sha: string;

  constructor(source: string) {
    this.#source = source;
    this.#sha = new Bun.CryptoHasher("sha1").update(source).digest("hex");
  }

  async run(link: Link, keys: readonly string[], args: readonly string[], timeoutMs?: number): Promise<any> {
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await link.send("EVALSHA", [this.#sha, ...tail], timeoutMs);
    } catch (error) {
      if (!String((error as Error).message).includes("NOSCRIPT")) throw error;
      return await link.send("EVAL", [this.#source, ...tail], timeoutMs);
    }
  }
}
