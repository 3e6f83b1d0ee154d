// How shared changes reach every server, in one order, and how a name is claimed across them.
import type { Shared } from "./shared.ts";

export interface Bus {
  /** This server's id among those sharing the bus; each change carries it. */
  readonly node: string;
  /** Where names are claimed: one owner per name across every server. */
  readonly names: Names;
  /**
   * Hands a change to the bus; it comes back through onDeliver, here and on every other server.
   * Nothing may count on it having been applied when this returns.
   */
  publish(change: Shared): void;
  /** Called with every change, in the bus's order, this server's own included. */
  onDeliver(apply: (change: Shared) => void): void;
  /** Given the shared state by the chat; a cluster bus keeps it for servers that join later and loads it at start. */
  share?(state: StateSource): void;
}

/**
 * The shared state as plain JSON-ready data: saved between two deliveries, so it is the state as of the last
 * change applied; loaded before the first delivery, by a server that has no people yet.
 */
export interface StateSource {
  save(): unknown;
  load(state: unknown): void;
}

/**
 * Unique names: a claim is atomic across every server. Keys are name keys (nameKey); owners are
 * ownerOf(who). A cluster answers later, so callers accept either a boolean or a promise of one.
 */
export interface Names {
  /** True if key is now owner's: it was free, or already theirs. */
  claim(key: string, owner: string): boolean | Promise<boolean>;
  /** Gives key back if owner holds it; a key held by someone else stays theirs. */
  release(key: string, owner: string): void;
}
