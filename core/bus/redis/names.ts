// Names claimed across the cluster: one winner per name, held by a node, freed by it or by the reaper when it dies.
import type { Keys } from "./keys.ts";
import type { Link } from "./link.ts";
import { Script } from "./script.ts";

/** KEYS: the claim. ARGV: owner, lifetime. 1 when the owner holds it now (a retry of its own claim included), 0 when another does. */
const CLAIM = new Script(`
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`);

/** Deletes the claim only if its owner still holds it: a late release never frees someone else's name. */
const RELEASE = new Script(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

const CLAIM_TIMEOUT_MS = 3000;

export class Names {
  readonly #link: Link;
  readonly #keys: Keys;
  readonly #claimMs: number;

  constructor(link: Link, keys: Keys, claimMs: number) {
    this.#link = link;
    this.#keys = keys;
    this.#claimMs = claimMs;
  }

  /** True when owner now holds the name; rejects when Redis cannot be asked. */
  async claim(key: string, owner: string): Promise<boolean> {
    return Number(await CLAIM.run(this.#link, [this.#keys.name(key)], [owner, String(this.#claimMs)], CLAIM_TIMEOUT_MS)) === 1;
  }

  async release(key: string, owner: string): Promise<void> {
    await RELEASE.run(this.#link, [this.#keys.name(key)], [owner], CLAIM_TIMEOUT_MS);
  }

  /** Who holds a name, if anyone. */
  holder(key: string): Promise<string | null> {
    return this.#link.send("GET", [this.#keys.name(key)], CLAIM_TIMEOUT_MS);
  }
}
