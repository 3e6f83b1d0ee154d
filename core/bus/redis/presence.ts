// Which nodes are alive: this node's heartbeat, the reaper that announces a silent node's people as lost, and noticing that this node was itself declared dead.
import { APPLY_EFFECTS_LUA, encodeEffects, type Effect } from "./effects.ts";
import type { Keys } from "./keys.ts";
import type { Link } from "./link.ts";
import { Script } from "./script.ts";

/** Redis's own clock in milliseconds: every node's heartbeat is compared on one clock, whatever the nodes' clocks say. */
const NOW_LUA = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/** KEYS: nodes, this node's reap mark. ARGV: id, "1" once registered. -1: this node was reaped; -2: it is registered no more (Redis lost its data). */
const BEAT = new Script(`${NOW_LUA}
if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
if ARGV[2] == '1' and not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return -2 end
redis.call('ZADD', KEYS[1], now, ARGV[1])
return now
`);

/**
 * KEYS: nodes. ARGV: the keys' prefix, the silence that means death, this node's id, the stream's MAXLEN.
 * One script does the reaping whole: the reap mark (one announcer, SET NX), each lost person's departure
 * appended to the stream with its effects (names freed), the node's people gone. Nothing is left half done
 * if the reaper dies too.
 */
const REAP = new Script(`${APPLY_EFFECTS_LUA}${NOW_LUA}
local prefix = ARGV[1]
local reaped = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]))) do
  redis.call('ZREM', KEYS[1], id)
  if redis.call('SET', prefix .. 'reap:' .. id, ARGV[3], 'NX', 'PX', 600000) then
    local people = redis.call('HGETALL', prefix .. 'node:' .. id)
    for i = 1, #people, 2 do
      local lost = cjson.decode(people[i + 1])
      apply(lost.e, 1, #lost.e / 4)
      redis.call('XADD', prefix .. 'log', 'MAXLEN', '~', ARGV[4], '*', 'o', 'lost:' .. id, 's', tostring((i + 1) / 2), 'd', lost.d)
    end
    redis.call('DEL', prefix .. 'node:' .. id)
    table.insert(reaped, id)
  end
end
return reaped
`);

/** What a node's person leaves behind if the node dies: the entry announcing them lost, and its effects. */
export function lostRecord(data: string, effects: readonly Effect[]): string {
  return JSON.stringify({ d: data, e: encodeEffects(effects) });
}

export interface PresenceWatcher {
  /** Nodes this node reaped: their people's departures are already in the stream. */
  reaped?(nodes: string[]): void;
  /** This node was declared dead by the others (a long pause, a partition): its people were announced lost. */
  declaredDead?(): void;
  /** This node's registration is gone without a reaping: Redis lost its data. */
  forgotten?(): void;
}

export interface PresenceOptions {
  beatMs: number;
  pollMs: number;
  /** A node silent this long is dead. */
  silenceMs: number;
  maxlen: number;
}

export const PRESENCE: PresenceOptions = { beatMs: 1000, pollMs: 250, silenceMs: 3000, maxlen: 100_000 };

export class Presence {
  readonly #link: Link;
  readonly #keys: Keys;
  readonly #watcher: PresenceWatcher;
  readonly #options: PresenceOptions;
  readonly #id: string;
  #registered = false;
  #timers: Timer[] = [];
  #busy = { beat: false, reap: false };

  constructor(link: Link, keys: Keys, id: string, watcher: PresenceWatcher, options: PresenceOptions = PRESENCE) {
    this.#link = link;
    this.#keys = keys;
    this.#id = id;
    this.#watcher = watcher;
    this.#options = options;
  }

  get id(): string {
    return this.#id;
  }

  /** Registers at once, then beats and polls. */
  async start(): Promise<void> {
    await this.beat();
    this.#timers.push(setInterval(() => void this.beat(), this.#options.beatMs));
    this.#timers.push(setInterval(() => void this.reap(), this.#options.pollMs));
  }

  stop(): void {
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
  }

  /**
   * Back after being declared dead: its people were announced lost and their names freed, so it
   * registers again as a node without people. The mark goes, so that its next death is reaped too.
   */
  async revive(): Promise<void> {
    await this.#link.send("DEL", [this.#keys.reap(this.#id)]);
    this.#registered = false;
  }

  /** Registers again at the next beat (after Redis lost its data). */
  forget(): void {
    this.#registered = false;
  }

  /** Leaves the cluster on a clean stop: no reaping needed. */
  async leave(): Promise<void> {
    this.stop();
    if (this.#link.up) await this.#link.send("ZREM", [this.#keys.nodes, this.#id]).catch(() => {});
  }

  async beat(): Promise<void> {
    if (!this.#link.up || this.#busy.beat) return;
    this.#busy.beat = true;
    try {
      const keys = [this.#keys.nodes, this.#keys.reap(this.#id)];
      const result = Number(await BEAT.run(this.#link, keys, [this.#id, this.#registered ? "1" : "0"], this.#options.silenceMs));
      if (result === -1) this.#watcher.declaredDead?.();
      else if (result === -2) this.#watcher.forgotten?.();
      else this.#registered = true;
    } catch {
      // Redis away: the link reconnects, and the next beat tries again.
    } finally {
      this.#busy.beat = false;
    }
  }

  async reap(): Promise<void> {
    if (!this.#link.up || this.#busy.reap) return;
    this.#busy.reap = true;
    try {
      const args = [this.#keys.prefix, String(this.#options.silenceMs), this.#id, String(this.#options.maxlen)];
      const reaped = (await REAP.run(this.#link, [this.#keys.nodes], args, this.#options.silenceMs)) as string[] | null;
      if (reaped && reaped.length > 0) this.#watcher.reaped?.(reaped);
    } catch {
      // as for the beat
    } finally {
      this.#busy.reap = false;
    }
  }
}
