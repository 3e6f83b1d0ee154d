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

/**
 * KEYS: none. ARGV: the claims' prefix, their lifetime, then pairs of a name key and its owner. Each claim its
 * owner still holds lives on; one that is gone (expired, or Redis lost its data) is taken back. Returns the
 * keys someone else holds now.
 */
const REFRESH = new Script(`
local taken = {}
for i = 3, #ARGV, 2 do
  local claim = ARGV[1] .. ARGV[i]
  local holder = redis.call('GET', claim)
  if holder == ARGV[i + 1] then redis.call('PEXPIRE', claim, ARGV[2])
  elseif not holder then redis.call('SET', claim, ARGV[i + 1], 'PX', ARGV[2])
  else table.insert(taken, ARGV[i]) end
end
return taken
`);

const TIMEOUT_MS = 3000;

/**
 * Claims answer once Redis has: while it is away they wait for it rather than fail, since a failed claim
 * would send a newcomer on to the next name. Releases are kept until Redis has them.
 */
export class Names {
  readonly #link: Link;
  readonly #keys: Keys;
  readonly #claimMs: number;
  /** The claims this node holds, by key: refreshed before they expire, taken back after Redis lost its data. */
  readonly #held = new Map<string, string>();

  constructor(link: Link, keys: Keys, claimMs: number) {
    this.#link = link;
    this.#keys = keys;
    this.#claimMs = claimMs;
  }

  /** True when owner now holds the name (it was free, or already theirs). */
  async claim(key: string, owner: string): Promise<boolean> {
    const ok = Number(await this.#persist(() => CLAIM.run(this.#link, [this.#keys.name(key)], [owner, String(this.#claimMs)], TIMEOUT_MS))) === 1;
    if (ok) this.#held.set(key, owner);
    return ok;
  }

  /** Frees the name if owner still holds it; a late release never frees someone else's. Never rejects: a claim left behind expires. */
  async release(key: string, owner: string): Promise<void> {
    if (this.#held.get(key) === owner) this.#held.delete(key);
    await this.#persist(() => RELEASE.run(this.#link, [this.#keys.name(key)], [owner], TIMEOUT_MS)).catch(() => {});
  }

  /** Keeps this node's claims alive; returns the keys someone else took meanwhile (only after Redis lost its data). */
  async refresh(): Promise<string[]> {
    if (this.#held.size === 0 || !this.#link.up) return [];
    const args = [this.#keys.name(""), String(this.#claimMs)];
    for (const [key, owner] of this.#held) args.push(key, owner);
    const taken = ((await REFRESH.run(this.#link, [], args, TIMEOUT_MS)) ?? []) as string[];
    for (const key of taken) this.#held.delete(key);
    return taken;
  }

  /** Who holds a name, if anyone. */
  holder(key: string): Promise<string | null> {
    return this.#link.send("GET", [this.#keys.name(key)], TIMEOUT_MS);
  }

  /** Runs a command until Redis answers it (both scripts may safely run twice); gives up only when the link is closed. */
  async #persist<T>(command: () => Promise<T>): Promise<T> {
    for (let failures = 0; ; failures++) {
      await this.#link.whenUp();
      if (this.#link.closed) throw new Error("the cluster link is closed");
      try {
        return await command();
      } catch (error) {
        if (this.#link.closed) throw error;
        if (this.#link.up) await Bun.sleep(Math.min(1000, 50 * (failures + 1)));
      }
    }
  }
}
