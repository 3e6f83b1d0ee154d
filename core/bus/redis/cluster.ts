// The cluster bus: every shared change through one Redis stream in one order, names claimed in Redis, the state a joining server starts from, and which servers are alive.
import type { Bus, StateSource } from "../bus.ts";
import { ownerOf, type Shared, type Who } from "../shared.ts";
import { nameKey } from "../../wire/sanitize.ts";
import { Appender } from "./appender.ts";
import type { Effect } from "./effects.ts";
import { Keys } from "./keys.ts";
import { Link } from "./link.ts";
import { Names } from "./names.ts";
import { lostRecord, Presence, PRESENCE } from "./presence.ts";
import { Reader } from "./reader.ts";
import { compareIds, Snapshots } from "./snapshot.ts";
import type { RedisTarget } from "./target.ts";

export interface ClusterOptions {
  target: RedisTarget;
  /** The prefix of every key: clusters on one Redis with different names do not see each other. */
  cluster: string;
  /** Changes held at most while Redis is away. */
  held?: number;
  log: { info(message: string): void; warn(message: string): void };
}

export interface ClusterWatcher {
  /** Redis is away: changes are held from now on. */
  down(): void;
  /** Redis is back and what was held is on its way. */
  up(): void;
}

/** What --metrics reports of the cluster. */
export interface ClusterStats {
  /** Seconds from each change's append (Redis's clock) to its delivery here (this server's clock), summed, and how many. */
  lagSeconds: number;
  delivered: number;
  /** Times a connection to Redis came back after a drop. */
  reconnects: number;
  /** Changes said here and not yet in Redis. */
  held: number;
  /** Changes seen twice in the stream and delivered once. */
  duplicates: number;
}

/** Redis could not be reached at start: the server does not start without its cluster. */
export class ClusterUnreachable extends Error {
  override readonly name = "ClusterUnreachable";
  constructor(
    readonly where: string,
    why?: "refused" | "refused TLS",
  ) {
    const suspects = why === "refused TLS" ? "a certificate not signed by a CA this server trusts (--redis-ca), or not Redis over TLS" : "or not Redis";
    super(why ? `Redis at ${where} refused the connection (a wrong or missing password, ${suspects}?)` : `cannot reach Redis at ${where}`);
  }
}

/** Whether something accepts TCP connections at the target. */
async function listens(target: RedisTarget): Promise<boolean> {
  try {
    const socket = await Bun.connect({ hostname: target.host, port: target.port, socket: { data() {} } });
    socket.end();
    return true;
  } catch {
    return false;
  }
}

const HELD = 100_000;
/** What a chat line changes besides the stream: nothing (shared, never written to). */
const NO_EFFECTS: Effect[] = [];
/** How often the shared state is saved for joining servers, when it changed. */
const SAVE_MS = 1000;
/** How often the claims on this server's people's names are refreshed; they live CLAIM_MS. */
const REFRESH_MS = 10_000;
const CLAIM_MS = 60_000;

function freshId(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 12);
}

export class RedisBus implements Bus {
  readonly node = freshId();
  readonly names: Names;
  readonly #keys: Keys;
  readonly #log: ClusterOptions["log"];
  /** Commands, appends, claims and heartbeats. */
  readonly #command: Link;
  /** The blocked XREAD alone: it ties up its connection. */
  readonly #reading: Link;
  readonly #appender: Appender;
  readonly #snapshots: Snapshots;
  readonly #presence: Presence;
  #reader?: Reader;
  #apply: (change: Shared) => void = () => {};
  #state?: StateSource;
  /** Deliveries since the state was last saved. */
  #changed = false;
  #saving = false;
  /** What each of this server's people leaves behind in Redis if the server dies, by their id: written again if Redis loses it. */
  readonly #records = new Map<number, string>();
  readonly #watchers: ClusterWatcher[] = [];
  #down = false;
  #timers: Timer[] = [];
  #restoring = false;

  private constructor(options: ClusterOptions, command: Link, reading: Link) {
    this.#keys = new Keys(options.cluster);
    this.#log = options.log;
    this.#command = command;
    this.#reading = reading;
    this.names = new Names(command, this.#keys, CLAIM_MS);
    this.#appender = new Appender(command, this.#keys, this.node, {
      cap: options.held ?? HELD,
      maxlen: PRESENCE.maxlen,
      warn: (message) => this.#log.warn(message),
    });
    this.#snapshots = new Snapshots(command, this.#keys);
    this.#presence = new Presence(command, this.#keys, this.node, {
      reaped: (nodes) => this.#log.warn(`server ${nodes.join(", ")} stopped answering; its people were announced as lost`),
      declaredDead: () => void this.#revive(),
      forgotten: () => void this.#restore(),
    });
    for (const link of [command, reading]) link.watch({ down: () => this.#linkDown(), up: () => this.#linkUp() });
  }

  /** Connects to Redis; rejects with ClusterUnreachable when it does not answer. */
  static async open(options: ClusterOptions): Promise<RedisBus> {
    const command = new Link(options.target);
    const reading = new Link(options.target);
    try {
      await command.open();
      await reading.open();
      await command.send("PING", [], 3000);
    } catch {
      command.close();
      reading.close();
      // Bun says "Connection closed" whether nothing listens or Redis refused the password: a plain TCP connect tells which.
      if (await listens(options.target)) throw new ClusterUnreachable(options.target.where, options.target.tls ? "refused TLS" : "refused");
      throw new ClusterUnreachable(options.target.where);
    }
    return new RedisBus(options, command, reading);
  }

  watch(watcher: ClusterWatcher): void {
    this.#watchers.push(watcher);
  }

  share(state: StateSource): void {
    this.#state = state;
  }

  onDeliver(apply: (change: Shared) => void): void {
    this.#apply = apply;
  }

  /**
   * Loads the cluster's state as of one entry of the stream, then reads on from there; resolves once
   * everything in the stream at the start has been applied, so the first newcomer sees the whole chat.
   */
  async start(): Promise<void> {
    const loaded = await this.#snapshots.load(freshId());
    if (loaded.state !== undefined && this.#state) {
      try {
        this.#state.load(JSON.parse(loaded.state));
      } catch (error) {
        this.#log.warn(`the cluster's saved state could not be read (${(error as Error).message}); starting from the stream`);
      }
    }
    let caughtUp!: () => void;
    const ready = new Promise<void>((resolve) => (caughtUp = resolve));
    if (compareIds(loaded.end, loaded.from) <= 0) caughtUp();
    this.#reader = new Reader(this.#reading, this.#keys, loaded.from, loaded.epoch, {
      deliver: (entry) => this.#deliver(entry.data),
      read: (last) => {
        if (compareIds(last, loaded.end) >= 0) caughtUp();
      },
      gap: (origin, missing) => this.#log.warn(`${missing} changes from ${origin} were lost by Redis (trimmed or not persisted)`),
      reset: () => {
        this.#log.warn("Redis came back without its data; reading the cluster's stream from its new start");
        void this.#restore();
      },
    });
    this.#reader.start();
    await ready;
    await this.#presence.start();
    this.#timers.push(setInterval(() => void this.#save(), SAVE_MS));
    this.#timers.push(setInterval(() => void this.#refresh(), REFRESH_MS));
  }

  publish(change: Shared): void {
    const data = JSON.stringify(change);
    if (!this.#appender.append(data, this.#effects(change)))
      this.#log.warn(`Redis has been away too long: ${this.#appender.held} changes are held, this one was dropped`);
  }

  stats(): ClusterStats {
    return {
      lagSeconds: (this.#reader?.lagSum ?? 0) / 1000,
      delivered: this.#reader?.lagCount ?? 0,
      reconnects: this.#command.reconnects,
      held: this.#appender.held,
      duplicates: this.#reader?.duplicates ?? 0,
    };
  }

  /** A clean stop: what is held goes out (for at most ms), the state is saved, the server leaves the live ones. */
  async close(ms = 2000): Promise<void> {
    for (const timer of this.#timers) clearInterval(timer);
    await Promise.race([this.#appender.drained(), Bun.sleep(ms)]);
    await this.#save();
    await this.#presence.leave();
    this.#appender.close();
    this.#command.close();
    this.#reading.close();
  }

  #deliver(data: string): void {
    let change: Shared;
    try {
      change = JSON.parse(data) as Shared;
    } catch {
      this.#log.warn("a change in the cluster's stream is not JSON; skipped");
      return;
    }
    this.#changed = true;
    this.#apply(change);
  }

  /**
   * What Redis must change with the append, beyond the stream: the record of this server's people,
   * which the reaper turns into `NAME has left (lost)` and a freed name if the server dies.
   */
  #effects(change: Shared): Effect[] {
    if (change.by.node !== this.node) return NO_EFFECTS;
    switch (change.kind) {
      case "join":
      case "rename": {
        const record = this.#lost(change.by, change.name);
        this.#records.set(change.by.id, record);
        return [{ op: "hset", key: this.#keys.node(this.node), field: String(change.by.id), value: record }];
      }
      case "leave":
        this.#records.delete(change.by.id);
        return [{ op: "hdel", key: this.#keys.node(this.node), field: String(change.by.id) }];
      default:
        return NO_EFFECTS;
    }
  }

  #lost(who: Who, name: string): string {
    const leave: Shared = { kind: "leave", by: who, reason: "lost" };
    return lostRecord(JSON.stringify(leave), [{ op: "release", key: this.#keys.name(nameKey(name)), owner: ownerOf(who) }]);
  }

  async #save(): Promise<void> {
    if (!this.#changed || this.#saving || !this.#state || !this.#reader || !this.#command.up) return;
    this.#saving = true;
    this.#changed = false;
    try {
      // Read now, between two deliveries: the state is exactly that of the last entry read.
      const id = this.#reader.last;
      await this.#snapshots.save(id, JSON.stringify(this.#state.save()), 3000);
    } catch {
      this.#changed = true; // Redis away: saved once it is back
    } finally {
      this.#saving = false;
    }
  }

  async #refresh(): Promise<void> {
    try {
      for (const key of await this.names.refresh()) this.#log.warn(`the name ${key} was taken by another server while Redis was away`);
    } catch {
      // Redis away: the next refresh, well within the claims' lifetime
    }
  }

  /** Declared dead after a long silence: the others announced its people as lost and freed their names; it serves on as a server without them. */
  async #revive(): Promise<void> {
    this.#log.warn("this server was silent too long and the cluster declared it dead; its people were dropped");
    this.#records.clear();
    await this.#presence.revive().catch(() => {});
  }

  /** Redis came back without its data: this server's part of it is written again (its record, its claims), and the state saved. */
  async #restore(): Promise<void> {
    if (this.#restoring) return;
    this.#restoring = true;
    try {
      await this.#snapshots.epoch(freshId());
      this.#presence.forget();
      const records: string[] = [];
      for (const [id, record] of this.#records) records.push(String(id), record);
      if (records.length > 0) await this.#command.send("HSET", [this.#keys.node(this.node), ...records]);
      await this.#refresh();
      this.#changed = true;
      await this.#save();
    } catch {
      // Away again: the next reconnect restores
    } finally {
      this.#restoring = false;
    }
  }

  #linkDown(): void {
    if (this.#down) return;
    this.#down = true;
    this.#log.warn("lost Redis; reconnecting, and holding what is said meanwhile");
    for (const watcher of this.#watchers) watcher.down();
  }

  #linkUp(): void {
    if (!this.#down || !this.#command.up || !this.#reading.up) return;
    this.#down = false;
    this.#log.info("reconnected to Redis");
    for (const watcher of this.#watchers) watcher.up();
  }
}
