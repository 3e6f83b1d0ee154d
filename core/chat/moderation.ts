// What operators may do: /op, /kick, /mute, /unmute, /ban, /unban, /bans. The hub applies the effects on membership.
import type { Secret } from "./secret.ts";
import { Bans } from "./bans.ts";
import { contains, formatCidr, parseCidr, parseIp, single, type Cidr } from "../wire/cidr.ts";
import type { Moderate } from "../wire/commands.ts";
import type { Member } from "./member.ts";
import { NOTICE } from "../wire/messages.ts";

/** What moderation needs of the room; the hub provides it. */
export interface Room {
  /** The member called name, compared as names are (case and width folded). */
  find(name: string): Member | undefined;
  nameOf(member: Member): string | undefined;
  members(): Iterable<Member>;
  tell(member: Member, text: string): void;
  announce(text: string): void;
  /** Leaves with a reason everyone sees, after being told why; the connection is closed. */
  remove(member: Member, reason: "kicked" | "banned", told: string): void;
}

export interface ModerationOptions {
  /** The operator password; without one, nobody can become an operator. */
  opSecret?: Secret;
  bans?: Bans;
  now?: () => number;
}

/** /op tries a connection gets: enough for a typo, too few to guess. */
const OP_TRIES = 3;

export class Moderation {
  readonly bans: Bans;
  readonly #opSecret?: Secret;
  readonly #now: () => number;
  readonly #operators = new WeakSet<Member>();
  readonly #opTries = new WeakMap<Member, number>();
  /** Until when (ms since the epoch; Infinity: until /unmute). Kept with the connection: it ends when they leave. */
  readonly #muted = new WeakMap<Member, number>();

  constructor(options: ModerationOptions = {}) {
    this.bans = options.bans ?? new Bans();
    this.#opSecret = options.opSecret;
    this.#now = options.now ?? Date.now;
  }

  isMuted(member: Member): boolean {
    const until = this.#muted.get(member);
    if (until === undefined) return false;
    if (until > this.#now()) return true;
    this.#muted.delete(member);
    return false;
  }

  handle(room: Room, from: Member, input: Moderate): void {
    if (input.kind === "op") return this.#op(room, from, input.password);
    if (!this.#operators.has(from)) return room.tell(from, NOTICE.operatorsOnly);
    const by = room.nameOf(from) ?? "";
    switch (input.kind) {
      case "kick":
        return this.#onOther(room, from, input.name, (target) => room.remove(target, "kicked", NOTICE.kickedYou(by, input.reason)));
      case "mute":
        return this.#onOther(room, from, input.name, (target, name) => {
          this.#muted.set(target, input.ms ? this.#now() + input.ms : Infinity);
          room.announce(NOTICE.nowMuted(name, input.ms));
        });
      case "unmute":
        return this.#onOther(room, from, input.name, (target, name) => {
          if (!this.#muted.delete(target)) return room.tell(from, NOTICE.notMuted(name));
          room.announce(NOTICE.unmuted(name));
        });
      case "ban":
        return this.#ban(room, from, by, input.target, input.ms);
      case "unban": {
        const lifted = this.bans.remove(input.target, this.#now());
        return room.tell(from, lifted.length ? NOTICE.unbanned(lifted.map((b) => formatCidr(b.range))) : NOTICE.noBan(input.target));
      }
      case "bans": {
        const now = this.#now();
        const list = this.bans.list(now).map((b) => ({
          range: formatCidr(b.range),
          label: b.label,
          leftMs: b.until === undefined ? undefined : b.until - now,
        }));
        return room.tell(from, NOTICE.bans(list));
      }
    }
  }

  #op(room: Room, from: Member, password: string): void {
    if (!this.#opSecret) return room.tell(from, NOTICE.noOperators);
    if (this.#operators.has(from)) return room.tell(from, NOTICE.alreadyOperator);
    const tries = this.#opTries.get(from) ?? 0;
    if (tries >= OP_TRIES) return room.tell(from, NOTICE.noMoreOpTries);
    if (!this.#opSecret.matches(password)) {
      this.#opTries.set(from, tries + 1);
      return room.tell(from, NOTICE.wrongOpPassword);
    }
    this.#operators.add(from);
    room.tell(from, NOTICE.nowOperator);
  }

  /** Runs act on the member called name, who must be someone else. */
  #onOther(room: Room, from: Member, name: string, act: (target: Member, name: string) => void): void {
    const target = room.find(name);
    if (!target) return room.tell(from, NOTICE.noSuchUser(name));
    if (target === from) return room.tell(from, NOTICE.notYourself);
    act(target, room.nameOf(target) ?? name);
  }

  /** A name bans that person's address; an address or range bans it. Whoever is in from there leaves, operators aside. */
  #ban(room: Room, from: Member, by: string, target: string, ms: number | undefined): void {
    const person = room.find(target);
    let range: Cidr | undefined;
    let label: string | undefined;
    if (person) {
      if (person === from) return room.tell(from, NOTICE.notYourself);
      const ip = person.ip === undefined ? undefined : parseIp(person.ip);
      if (!ip) return room.tell(from, NOTICE.badTarget(target));
      range = single(ip);
      label = room.nameOf(person);
    } else {
      range = parseCidr(target);
      if (!range) return room.tell(from, NOTICE.badTarget(target));
    }
    const own = from.ip === undefined ? undefined : parseIp(from.ip);
    if (own && contains(range, own)) return room.tell(from, NOTICE.ownRange(formatCidr(range)));
    const now = this.#now();
    this.bans.add({ range, ...(label === undefined ? {} : { label }), ...(ms ? { until: now + ms } : {}) }, now);
    room.tell(from, NOTICE.bannedRange(formatCidr(range), ms));
    for (const member of [...room.members()]) {
      const ip = member.ip === undefined ? undefined : parseIp(member.ip);
      if (ip && contains(range, ip) && !this.#operators.has(member)) room.remove(member, "banned", NOTICE.bannedYou(by));
    }
  }
}
