// The hub is the only place that knows who is in the room: join, leave, rename, away, broadcast.
import { EachMember, type Audience, type Line } from "./audience.ts";
import type { Input } from "../wire/commands.ts";
import type { Event, Presence, Reason } from "../wire/events.ts";
import { toJson } from "../wire/events.ts";
import { encodeLine } from "../wire/framing.ts";
import { History } from "./history.ts";
import { encodeWelcome, NOTICE, renderPlain, type Words } from "../wire/messages.ts";
import type { Member } from "./member.ts";
import { Moderation, type Room } from "./moderation.ts";
import { Roster } from "./roster.ts";
import { nameKey, nameProblem } from "../wire/sanitize.ts";

/** Chat lines replayed to a newcomer when nothing says otherwise (`serve --history`). */
export const DEFAULT_HISTORY = 20;

export interface HubOptions {
  words: Words;
  /** Name newcomers guest-N instead of by their address. */
  anonymous?: boolean;
  /** How many chat lines to replay to a newcomer. */
  history?: number;
  /** Lines shown to every newcomer after the welcome. */
  motd?: string[];
  /** Operators, mutes and bans; by default a room without operators. */
  moderation?: Moderation;
  now?: () => number;
  /** How broadcasts reach the members; by default each member is sent its copy. */
  audience?: Audience;
}

interface Person {
  name: string;
  key: string;
  away?: string;
  json: boolean;
}

/** An event rendered at most once per form, whatever the number of members. */
class Rendered implements Line {
  #plain?: Uint8Array;
  #json?: Uint8Array;
  constructor(
    readonly event: Event,
    readonly ts: number,
    readonly words: Words,
  ) {}
  bytes(json: boolean): Uint8Array {
    if (json) return (this.#json ??= encodeLine(toJson(this.event, this.ts)));
    return (this.#plain ??= encodeLine(renderPlain(this.event, this.words).join("\n")));
  }
}

/** What a muted member may not do: say anything others read. */
function speaks(input: Input): boolean {
  return input.kind === "say" || input.kind === "me" || input.kind === "msg" || input.kind === "nick" || input.kind === "away";
}

export class Hub {
  readonly #people = new Map<Member, Person>();
  readonly #byKey = new Map<string, Member>();
  readonly #roster = new Roster();
  readonly #audience: Audience;
  readonly #words: Words;
  readonly #anonymous: boolean;
  readonly #history: History;
  readonly #motd: string[];
  readonly #now: () => number;
  readonly #moderation: Moderation;
  readonly #room: Room;
  #guests = 0;

  constructor(options: HubOptions) {
    this.#words = options.words;
    this.#anonymous = options.anonymous ?? false;
    this.#history = new History(options.history ?? DEFAULT_HISTORY);
    this.#motd = options.motd ?? [];
    this.#now = options.now ?? Date.now;
    this.#moderation = options.moderation ?? new Moderation({ now: this.#now });
    this.#room = {
      find: (name) => this.#byKey.get(nameKey(name)),
      nameOf: (member) => this.nameOf(member),
      members: () => this.#people.keys(),
      tell: (member, text) => this.tell(member, text),
      announce: (text) => this.announce(text),
      remove: (member, reason, told) => {
        this.tell(member, told);
        this.leave(member, reason);
        member.close(reason);
      },
    };
    this.#audience = options.audience ?? new EachMember();
  }

  get size(): number {
    return this.#people.size;
  }

  get historySize(): number {
    return this.#history.size;
  }

  nameOf(member: Member): string | undefined {
    return this.#people.get(member)?.name;
  }

  join(member: Member): string {
    const name = this.#defaultName(member);
    const person: Person = { name, key: nameKey(name), json: member.json ?? false };
    this.#welcome(member, person);
    this.#broadcast({ type: "join", name }); // before adding: not to them
    this.#audience.add(member, person.json);
    this.#people.set(member, person);
    this.#byKey.set(person.key, member);
    this.#roster.add(name);
    return name;
  }

  /** /quit and the socket's close both end here: announced once. */
  leave(member: Member, reason?: Reason): void {
    const person = this.#people.get(member);
    if (!person) return;
    this.#people.delete(member);
    this.#audience.delete(member);
    this.#byKey.delete(person.key);
    this.#roster.remove(person.name);
    this.#broadcast(reason ? { type: "leave", name: person.name, reason } : { type: "leave", name: person.name });
  }

  /** A line from a member, already cleaned by the server. */
  handle(from: Member, input: Input): void {
    const person = this.#people.get(from);
    if (!person) return;
    if (speaks(input) && this.#moderation.isMuted(from)) return this.tell(from, NOTICE.muted);
    switch (input.kind) {
      case "say":
        return this.#say(person, "message", input.text);
      case "me":
        return this.#say(person, "me", input.text);
      case "nick":
        return this.#rename(from, person, input.name);
      case "who":
        return this.tell(from, NOTICE.who(this.#present()));
      case "msg":
        return this.#whisper(from, person, input.to, input.text);
      case "away":
        person.away = input.text;
        this.#roster.setAway(person.name, input.text);
        return this.tell(from, NOTICE.nowAway(input.text));
      case "back":
        if (person.away === undefined) return this.tell(from, NOTICE.notAway);
        delete person.away;
        this.#roster.setAway(person.name, undefined);
        return this.tell(from, NOTICE.back);
      case "help":
        for (const line of NOTICE.help()) this.tell(from, line);
        return;
      case "quit":
        this.leave(from);
        return from.close();
      case "mode":
        if (input.mode !== "json" && input.mode !== "plain") return this.tell(from, NOTICE.unknownMode(input.mode));
        person.json = input.mode === "json";
        this.#audience.add(from, person.json);
        return this.#welcome(from, person);
      case "op":
      case "kick":
      case "mute":
      case "unmute":
      case "ban":
      case "unban":
      case "bans":
        return this.#moderation.handle(this.#room, from, input);
      case "usage":
        return this.tell(from, NOTICE.usage(input.usage));
      case "unknown":
        return this.tell(from, NOTICE.unknownCommand(input.command));
    }
  }

  /** A reply to one member (`* TEXT`). */
  tell(member: Member, text: string, extra?: { code: string; name?: string }): void {
    this.#send(member, { type: "notice", text, ...extra });
  }

  /** A notice to everyone in the room. */
  announce(text: string): void {
    this.#broadcast({ type: "notice", text });
  }

  #defaultName(member: Member): string {
    if (!this.#anonymous && !this.#byKey.has(nameKey(member.address))) return member.address;
    let name: string;
    do name = `guest-${++this.#guests}`;
    while (this.#byKey.has(nameKey(name)));
    return name;
  }

  #welcome(member: Member, person: Person): void {
    if (!this.#people.has(member) && !person.json) {
      // A newcomer (not in the roster yet): every name but theirs, already encoded.
      member.send(encodeWelcome(this.#words, person.name, this.#roster.joinedNames, this.#motd));
    } else {
      const present = this.#present().filter((p) => p.name !== person.name);
      this.#send(member, { type: "welcome", name: person.name, present, motd: this.#motd, lang: this.#words.lang }, person);
    }
    if (this.#history.size > 0) this.#send(member, { type: "history", lines: this.#history.lines() }, person);
  }

  #present(): readonly Presence[] {
    return this.#roster.all;
  }

  #say(person: Person, type: "message" | "me", text: string): void {
    const said = { type, from: person.name, text, ts: this.#now() };
    this.#history.add(said);
    this.#broadcast(said, said.ts); // one object for both: its JSON is the same with ts inside
  }

  #rename(member: Member, person: Person, name: string): void {
    const problem = nameProblem(name);
    if (problem) return this.tell(member, NOTICE.nameInvalid(name, problem), { code: "name_invalid", name });
    if (name === person.name) return this.tell(member, NOTICE.nameUnchanged(name), { code: "name_unchanged", name });
    const key = nameKey(name);
    const holder = this.#byKey.get(key);
    if (holder && holder !== member) return this.tell(member, NOTICE.nameTaken(name), { code: "name_taken", name });
    const old = person.name;
    this.#byKey.delete(person.key);
    person.name = name;
    person.key = key;
    this.#roster.rename(old, name);
    this.#byKey.set(key, member);
    this.#broadcast({ type: "nick", from: old, to: name });
  }

  #whisper(from: Member, person: Person, to: string, text: string): void {
    const target = this.#byKey.get(nameKey(to));
    const recipient = target && this.#people.get(target);
    if (!target || !recipient) return this.tell(from, NOTICE.noSuchUser(to), { code: "no_such_user", name: to });
    const event: Event = { type: "private", from: person.name, to: recipient.name, text };
    this.#send(target, event, recipient);
    if (target !== from) this.#send(from, event, person);
    if (recipient.away !== undefined && target !== from) this.tell(from, NOTICE.isAway(recipient.name, recipient.away));
  }

  #send(member: Member, event: Event, person = this.#people.get(member)): void {
    member.send(new Rendered(event, this.#now(), this.#words).bytes(person?.json ?? false));
  }

  #broadcast(event: Event, ts = this.#now()): void {
    this.#audience.send(new Rendered(event, ts, this.#words)); // once per line, not once per member
  }
}
