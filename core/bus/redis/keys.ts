// The names of a cluster's keys in Redis: every one starts with the cluster's name in braces, so they share a Redis Cluster slot.

export class Keys {
  readonly prefix: string;
  /** The one stream every server reads: the cluster's order. */
  readonly log: string;

  constructor(cluster: string) {
    this.prefix = `{${cluster}}:`;
    this.log = `${this.prefix}log`;
  }

  /** The last sequence appended for an origin, so a retried append is not appended twice. */
  seq(origin: string): string {
    return `${this.prefix}seq:${origin}`;
  }

  /** Created once with the data; a different or missing one after a reconnect means Redis lost what it had. */
  get epoch(): string {
    return `${this.prefix}epoch`;
  }

  /** Every live node with the Redis time of its last heartbeat. */
  get nodes(): string {
    return `${this.prefix}nodes`;
  }

  /** Set once by whoever reaps the node: one announcer, and a mark the node sees if it comes back. */
  reap(node: string): string {
    return `${this.prefix}reap:${node}`;
  }

  /** A node's people: their name keys, each with what to append when the node is lost. */
  node(node: string): string {
    return `${this.prefix}node:${node}`;
  }

  /** The claim on a name (by its case-folded key); its value is the node that holds it. */
  name(key: string): string {
    return `${this.prefix}name:${key}`;
  }

  /** Any other key of the cluster's state. */
  state(name: string): string {
    return `${this.prefix}${name}`;
  }
}
