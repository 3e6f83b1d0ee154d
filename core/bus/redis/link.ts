// One connection to Redis that lives as long as the server: reconnects for ever and says when it goes down and comes back.
import { RedisClient } from "bun";
import type { RedisTarget } from "./target.ts";

/** Waits between attempts to reconnect: quick at first, then once a second for as long as it takes. */
const BACKOFF_MS = [50, 100, 200, 400, 800, 1000];
const CONNECT_TIMEOUT_MS = 3000;

export interface LinkWatcher {
  down?(): void;
  up?(): void;
}

/**
 * Bun's client is given autoReconnect off and no offline queue: on its own it gives up after 20 attempts,
 * queues without bound while Redis is away and does not subscribe again. Here a drop is noticed at once
 * (onclose), every command meanwhile rejects, and connect() is called again until Redis answers.
 */
export class Link {
  readonly #client: RedisClient;
  readonly #watchers: LinkWatcher[] = [];
  #up = false;
  #opened = false;
  #closed = false;
  #reconnecting = false;
  #waiters: (() => void)[] = [];
  /** Times the link came back after a drop. */
  reconnects = 0;

  constructor(readonly target: RedisTarget) {
    this.#client = new RedisClient(target.url, {
      autoReconnect: false,
      enableOfflineQueue: false,
      connectionTimeout: CONNECT_TIMEOUT_MS,
      idleTimeout: 0,
      ...(target.tls ? { tls: target.ca === undefined ? true : { ca: target.ca } } : {}),
    });
    this.#client.onclose = () => this.#dropped();
  }

  get up(): boolean {
    return this.#up;
  }

  watch(watcher: LinkWatcher): void {
    this.#watchers.push(watcher);
  }

  /** The first connection: rejects when Redis cannot be reached, so a server does not start without its cluster. */
  async open(): Promise<void> {
    await this.#client.connect();
    this.#up = true;
    this.#opened = true;
  }

  /** A command now; rejects at once while the link is down. A reply that takes longer than timeoutMs drops the connection, which then reconnects. */
  send(command: string, args: string[], timeoutMs?: number): Promise<any> {
    if (!this.#up) return Promise.reject(new LinkDown(this.target.where));
    const reply = this.#client.send(command, args);
    if (timeoutMs === undefined) return reply;
    let timer: Timer | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // No answer: the connection is half open (a blip without a reset). Start again.
        this.#client.close();
        reject(new LinkDown(this.target.where));
      }, timeoutMs);
    });
    return Promise.race([reply, late]).finally(() => clearTimeout(timer));
  }

  /** Resolves once the link is up (at once if it is). */
  whenUp(): Promise<void> {
    if (this.#up || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  close(): void {
    this.#closed = true;
    this.#up = false;
    this.#client.close();
    this.#wake();
  }

  get closed(): boolean {
    return this.#closed;
  }

  #dropped(): void {
    const was = this.#up;
    this.#up = false;
    if (this.#closed || !this.#opened) return;
    if (was) for (const watcher of this.#watchers) watcher.down?.();
    void this.#reconnect();
  }

  async #reconnect(): Promise<void> {
    if (this.#reconnecting) return; // onclose fires for each failed attempt too
    this.#reconnecting = true;
    for (let attempt = 0; !this.#closed; attempt++) {
      await Bun.sleep(BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)]!);
      if (this.#closed) break;
      try {
        await this.#client.connect();
      } catch {
        continue;
      }
      if (this.#closed) break;
      this.#reconnecting = false;
      this.#up = true;
      this.reconnects++;
      for (const watcher of this.#watchers) watcher.up?.();
      this.#wake();
      return;
    }
    this.#reconnecting = false;
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

/** A command refused because the link is down, or was cut while it ran: it may or may not have happened. */
export class LinkDown extends Error {
  override readonly name = "LinkDown";
  constructor(where: string) {
    super(`Redis at ${where} is not reachable`);
  }
}
