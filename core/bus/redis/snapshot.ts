// The shared state as of one entry of the stream, for a server that joins the cluster: kept in Redis, the newest one wins.
import type { Keys } from "./keys.ts";
import type { Link } from "./link.ts";
import { Script } from "./script.ts";

/** Lua: 1 when stream ID a comes after b. IDs are `ms-seq`, both parts too big for a string comparison. */
const AFTER_LUA = `
local function after(a, b)
  local am, as = string.match(a, '(%d+)-(%d+)')
  local bm, bs = string.match(b, '(%d+)-(%d+)')
  am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
  return am > bm or (am == bm and as > bs)
end
`;

/** KEYS: the snapshot. ARGV: the ID of the last entry applied, the state. Kept only if newer than the one there. */
const SAVE = new Script(`${AFTER_LUA}
local held = redis.call('HGET', KEYS[1], 'id')
if held and not after(ARGV[1], held) then return 0 end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'state', ARGV[2])
return 1
`);

/**
 * KEYS: the snapshot, the stream, the epoch. ARGV: an epoch to set if there is none. One script, so the
 * snapshot and the stream's end are read at one instant: [epoch, snapshot ID, state, the stream's last ID].
 */
const LOAD = new Script(`
redis.call('SET', KEYS[3], ARGV[1], 'NX')
local epoch = redis.call('GET', KEYS[3])
local snapshot = redis.call('HMGET', KEYS[1], 'id', 'state')
local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
local lastId = '0-0'
if #last > 0 then lastId = last[1][1] end
return { epoch, snapshot[1] or '', snapshot[2] or '', lastId }
`);

/** Sets the epoch if Redis has none (it came back empty); returns the one it has now. */
const EPOCH = new Script(`
redis.call('SET', KEYS[1], ARGV[1], 'NX')
return redis.call('GET', KEYS[1])
`);

export interface Loaded {
  epoch: string;
  /** The entry the state was saved at, to read the stream from; "0-0" when there is no state yet. */
  from: string;
  /** The saved state as JSON text, or undefined when there is none. */
  state?: string;
  /** The stream's last entry when loaded: a server serves once it has read this far. */
  end: string;
}

export class Snapshots {
  readonly #link: Link;
  readonly #keys: Keys;

  constructor(link: Link, keys: Keys) {
    this.#link = link;
    this.#keys = keys;
  }

  async load(epoch: string): Promise<Loaded> {
    const keys = [this.#keys.state("snapshot"), this.#keys.log, this.#keys.epoch];
    const [held, id, state, end] = (await LOAD.run(this.#link, keys, [epoch])) as [string, string, string, string];
    return { epoch: held, from: id === "" ? "0-0" : id, ...(state === "" ? {} : { state }), end };
  }

  save(id: string, state: string, timeoutMs: number): Promise<unknown> {
    return SAVE.run(this.#link, [this.#keys.state("snapshot")], [id, state], timeoutMs);
  }

  epoch(fresh: string): Promise<string> {
    return EPOCH.run(this.#link, [this.#keys.epoch], [fresh]);
  }
}

/** -1, 0 or 1 as stream ID a is before, the same as, or after b. */
export function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split("-").map(Number);
  const [bm = 0, bs = 0] = b.split("-").map(Number);
  return am !== bm ? Math.sign(am - bm) : Math.sign(as - bs);
}
