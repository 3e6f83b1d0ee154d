// What operators may do: /op, /kick, /mute, /unmute, /ban, /unban, /bans. Decided here, on the operator's server; the hub applies what the bus delivers.
import type { Secret } from "./secret.ts";
import { Bans } from "./bans.ts";
import type { Shared, Who } from "../bus/shared.ts";
import { contains, formatCidr, parseCidr, parseIp, single, type Cidr } from "../wire/cidr.ts";
import type { Moderate } from "../wire/commands.ts";
import type { Member } from "./member.ts";
import type { Notices } from "../wire/messages.ts";

/** Someone in the chat, on any server, as moderation sees them. */
export interface Someone {
  readonly who: Who;
  readonly name: string;
  readonly ip?: string;
  readonly op: boolean;
  /** ms since the epoch; Infinity: until /unmute. */
  readonly mutedUntil?: number;
}

/** What moderation needs of the chat; the hub provides it. */
export interface Chat {
  /** The person called name, on any server, compared as names are (case and width folded). */
  find(name: string): Someone | undefined;
  people(): Iterable<Someone>;
  tell(member: Member, text: string): void;
  publish(change: Shared): void;
  /** The replies, in the chat's language. */
  readonly says: Notices;
}

export interface ModerationOptions {
  /** The operator password; without one, nobody can become an operator. */
  opSecret?: Secret;
  bans?: Bans;
  now?: () => number;
}

/** /op tries a connection gets: enough for a typo, too few to guess. */
const OP_TRIES = 3;

export function isMuted(person: Someone, now: number): boolean {
  return person.mutedUntil !== undefined && person.mutedUntil > now;
}

function sameWho(a: Who, b: Who): boolean {
  return a.id === b.id && a.node === b.node;
}

export class Moderation {
  readonly bans: Bans;
  readonly #opSecret?: Secret;
  readonly #now: () => number;
  /** Tries are the connection's, not the person's: kept on this server. */
  readonly #opTries = new WeakMap<Member, number>();

  constructor(options: ModerationOptions = {}) {
    this.bans = options.bans ?? new Bans();
    this.#opSecret = options.opSecret;
    this.#now = options.now ?? Date.now;
  }

  /** An operator's command from member, who is me in the chat: refused here, or handed to the bus as a change. */
  handle(chat: Chat, from: Member, me: Someone, input: Moderate): void {
    if (input.kind === "op") return this.#op(chat, from, me, input.password);
    if (!me.op) return chat.tell(from, chat.says.operatorsOnly);
    const by = me.who;
    switch (input.kind) {
      case "kick":
        return this.#onOther(chat, from, me, input.name, (target) =>
          chat.publish({ kind: "kick", by, target: target.who, why: input.reason }),
        );
      case "mute":
        return this.#onOther(chat, from, me, input.name, (target) =>
          chat.publish({ kind: "mute", by, target: target.who, ...(input.ms ? { until: this.#now() + input.ms, ms: input.ms } : {}) }),
        );
      case "unmute":
        return this.#onOther(chat, from, me, input.name, (target) => {
          if (!isMuted(target, this.#now())) return chat.tell(from, chat.says.notMuted(target.name));
          chat.publish({ kind: "unmute", by, target: target.who });
        });
      case "ban":
        return this.#ban(chat, from, me, input.target, input.ms);
      case "unban":
        return chat.publish({ kind: "unban", by, target: input.target });
      case "bans": {
        const now = this.#now();
        const list = this.bans.list(now).map((b) => ({
          range: formatCidr(b.range),
          label: b.label,
          leftMs: b.until === undefined ? undefined : b.until - now,
        }));
        return chat.tell(from, chat.says.bans(list));
      }
    }
  }

  #op(chat: Chat, from: Member, me: Someone, password: string): void {
    if (!this.#opSecret) return chat.tell(from, chat.says.noOperators);
    if (me.op) return chat.tell(from, chat.says.alreadyOperator);
    const tries = this.#opTries.get(from) ?? 0;
    if (tries >= OP_TRIES) return chat.tell(from, chat.says.noMoreOpTries);
    if (!this.#opSecret.matches(password)) {
      this.#opTries.set(from, tries + 1);
      return chat.tell(from, chat.says.wrongOpPassword);
    }
    chat.publish({ kind: "op", by: me.who });
  }

  /** Runs act on the person called name, who must be someone else. */
  #onOther(chat: Chat, from: Member, me: Someone, name: string, act: (target: Someone) => void): void {
    const target = chat.find(name);
    if (!target) return chat.tell(from, chat.says.noSuchUser(name));
    if (sameWho(target.who, me.who)) return chat.tell(from, chat.says.notYourself);
    act(target);
  }

  /** A name bans that person's address; an address or range bans it. */
  #ban(chat: Chat, from: Member, me: Someone, target: string, ms: number | undefined): void {
    const person = chat.find(target);
    let range: Cidr | undefined;
    let label: string | undefined;
    if (person) {
      if (sameWho(person.who, me.who)) return chat.tell(from, chat.says.notYourself);
      const ip = person.ip === undefined ? undefined : parseIp(person.ip);
      if (!ip) return chat.tell(from, chat.says.badTarget(target));
      range = single(ip);
      label = person.name;
    } else {
      range = parseCidr(target);
      if (!range) return chat.tell(from, chat.says.badTarget(target));
    }
    const own = from.ip === undefined ? undefined : parseIp(from.ip);
    if (own && contains(range, own)) return chat.tell(from, chat.says.ownRange(formatCidr(range)));
    chat.publish({
      kind: "ban",
      by: me.who,
      from: me.name,
      range: formatCidr(range),
      ...(label === undefined ? {} : { label }),
      ...(ms ? { until: this.#now() + ms, ms } : {}),
    });
  }

  /** A delivered ban, on every server: kept in the bans; returns the range, so the hub can put out whoever is in it. */
  applyBan(change: Extract<Shared, { kind: "ban" }>): Cidr | undefined {
    const range = parseCidr(change.range);
    if (!range) return undefined;
    const { label, until } = change;
    this.bans.add({ range, ...(label === undefined ? {} : { label }), ...(until === undefined ? {} : { until }) }, this.#now());
    return range;
  }

  /** Whether a person's ip lies in range (operators are never put out by a ban). */
  static caught(person: Someone, range: Cidr): boolean {
    const ip = person.ip === undefined ? undefined : parseIp(person.ip);
    return ip !== undefined && contains(range, ip) && !person.op;
  }
}
