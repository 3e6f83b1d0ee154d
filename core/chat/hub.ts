// The chat: what it decides when a member speaks (handed to the bus as a change), and the shared state it builds by applying what the bus delivers.
import { EachMember, type Audience, type Line } from "./audience.ts";
import type { Bus } from "../bus/bus.ts";
import { LocalBus } from "../bus/local.ts";
import { ownerOf, type Shared, type Who } from "../bus/shared.ts";
import { formatCidr } from "../wire/cidr.ts";
import type { Input } from "../wire/commands.ts";
import type { Event, Limits, Reason, RoomInfo } from "../wire/events.ts";
import { toJson } from "../wire/events.ts";
import { encodeLine } from "../wire/framing.ts";
import { encodeWelcome, PRESENT_MAX, renderPlain, type Notices, type Words } from "../wire/messages.ts";
import type { Arrival, Member } from "./member.ts";
import { isMuted, Moderation, type Chat, type Someone } from "./moderation.ts";
import { Room } from "./room.ts";
import { parseBans, serializeBans } from "./bans.ts";
import { readState, type ChatState, type SavedPerson, type SavedRoom } from "./snapshot.ts";
import { nameFault, nameKey } from "../wire/sanitize.ts";

/** Chat lines replayed to a newcomer when nothing says otherwise (`serve --history`). */
export const DEFAULT_HISTORY = 20;
/**
 * Lines a member may have waiting behind its last change, until the bus brings that back: while Redis is
 * away, what people say is held here, bounded like an outbox.
 */
export const MAX_WAITING = 1000;
/** Chat lines of one member on their way through the bus at once; more wait (above). */
const MAX_LINES_IN_FLIGHT = 256;
/** Where everyone arrives. */
const MAIN_ROOM = "main";
/** Rooms kept when nothing says otherwise (`serve --max-rooms`). */
export const DEFAULT_MAX_ROOMS = 1000;

export interface HubOptions {
  words: Words;
  /** Name newcomers guest-N instead of by their address. */
  anonymous?: boolean;
  /** How many chat lines each room replays to a newcomer. */
  history?: number;
  /** Lines shown to every newcomer after the welcome. */
  motd?: string[];
  /** Operators, mutes and bans; by default a chat without operators. */
  moderation?: Moderation;
  now?: () => number;
  /** How a room's broadcasts reach its members, one per room; by default each member is sent its copy. */
  audience?: () => Audience;
  /** How shared changes reach every server; by default this process alone. */
  bus?: Bus;
  /** Rooms kept at most, #main included; past it the room empty longest is forgotten. 0 = no limit. */
  maxRooms?: number;
  /** Told to JSON clients in their welcome, so that `chat connect` keeps within them. */
  limits?: Limits;
}

/** Someone in the chat, on this server or another: built only by applying delivered changes. */
interface Person extends Someone {
  readonly who: Who;
  name: string;
  key: string;
  room: Room;
  away?: string;
  readonly ip?: string;
  op: boolean;
  mutedUntil?: number;
}

/** One of this server's connections, as the hub knows it. */
interface Local {
  readonly who: Who;
  readonly member: Member;
  json: boolean;
  /** Set once its join has been applied. */
  person?: Person;
  /** Its join has been handed to the bus: a leave must follow it there. */
  published: boolean;
  /**
   * Its changes (and name claims) not yet come back from the bus. Its next line waits until they
   * have, so each line is judged on what the lines before it did (an /op, then a /kick).
   */
  pending: number;
  /** How many of pending are chat lines (say, /me). */
  lines: number;
  /** Lines waiting for pending to come back to 0: at most MAX_WAITING. */
  waiting?: Input[];
  /** Told `* slow down` since its waiting lines passed the bound. */
  overflowed?: boolean;
  /** Replies to give after the welcome (a refused first /nick), with their codes for clients. */
  after?: { text: string; extra: { code: string; name?: string } }[];
}

/** A newcomer's name being claimed: one object per newcomer, where closures would make several. */
interface Claim {
  readonly local: Local;
  readonly room: string;
  readonly owner: string;
  /** Its address is still to be tried, after the name it asked for (never when anonymous). */
  byAddress: boolean;
  /** The name it joined under, once claimed. */
  joinedAs?: string;
}

/** Arriving as by default: in #main, plain text, under its address or a guest name. */
const AS_DEFAULT: Arrival = Object.freeze({});

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

/** What a muted member may not do: say anything others read (setting a topic too; asking for it is fine). */
function speaks(input: Input): boolean {
  return input.kind === "say" || input.kind === "me" || input.kind === "msg" || input.kind === "nick" || input.kind === "away" || (input.kind === "topic" && input.text !== "");
}

/** Runs then with a claim's answer: at once when it came at once (one process), else when it comes. */
function settle(answer: boolean | Promise<boolean>, then: (ok: boolean) => void): void {
  if (typeof answer === "boolean") then(answer);
  else void answer.then(then, () => then(false));
}

export class Hub {
  readonly #bus: Bus;
  readonly #node: string;
  // Shared state: what applying the bus's changes has built, the same on every server.
  readonly #people = new Map<string, Map<number, Person>>();
  readonly #byKey = new Map<string, Person>();
  readonly #rooms = new Map<string, Room>();
  readonly #main: Room;
  // This server's connections: delivery targets, found by their id in a change.
  readonly #locals = new Map<Member, Local>();
  readonly #byId = new Map<number, Local>();
  #ids = 0;
  #joined = 0;
  readonly #audience: () => Audience;
  readonly #words: Words;
  readonly #says: Notices;
  readonly #maxRooms: number;
  readonly #anonymous: boolean;
  readonly #historyLength: number;
  readonly #motd: string[];
  readonly #limits?: Limits;
  readonly #now: () => number;
  readonly #moderation: Moderation;
  readonly #chat: Chat;
  #guests = 0;

  constructor(options: HubOptions) {
    this.#words = options.words;
    this.#says = options.words.notice;
    this.#maxRooms = options.maxRooms ?? DEFAULT_MAX_ROOMS;
    this.#anonymous = options.anonymous ?? false;
    this.#historyLength = options.history ?? DEFAULT_HISTORY;
    this.#motd = options.motd ?? [];
    this.#limits = options.limits;
    this.#now = options.now ?? Date.now;
    this.#moderation = options.moderation ?? new Moderation({ now: this.#now });
    this.#audience = options.audience ?? (() => new EachMember());
    this.#bus = options.bus ?? new LocalBus();
    this.#node = this.#bus.node;
    this.#chat = {
      find: (name) => this.#byKey.get(nameKey(name)),
      people: () => this.#byKey.values(),
      tell: (member, text) => this.tell(member, text),
      says: this.#says,
      publish: (change) => this.#publish(this.#local(change.by), change),
    };
    this.#main = new Room(MAIN_ROOM, nameKey(MAIN_ROOM), this.#historyLength, this.#audience());
    this.#rooms.set(this.#main.key, this.#main);
    this.#bus.onDeliver((change) => this.#apply(change));
    this.#bus.share?.({ save: () => this.#save(), load: (state) => this.#load(state) });
  }

  /** This server's members in the chat. */
  get size(): number {
    return this.#joined;
  }

  /** Lines said here that wait behind their sender's last change: held while the bus is slow or away. */
  get waiting(): number {
    let n = 0;
    for (const local of this.#locals.values()) n += local.waiting?.length ?? 0;
    return n;
  }

  /** Chat lines kept for newcomers, in every room. */
  get historySize(): number {
    let size = 0;
    for (const room of this.#rooms.values()) size += room.history.size;
    return size;
  }

  nameOf(member: Member): string | undefined {
    return this.#locals.get(member)?.person?.name;
  }

  /**
   * A newcomer: its name is claimed, then its join goes to the bus; it is welcomed when the join
   * comes back. Returns its name, or undefined while a cluster is still answering the claim.
   */
  join(member: Member, arrival: Arrival = AS_DEFAULT): string | undefined {
    const id = ++this.#ids;
    const local: Local = { who: { node: this.#node, id }, member, json: arrival.json ?? false, published: false, pending: 1, lines: 0 };
    this.#locals.set(member, local);
    this.#byId.set(id, local);
    let first = arrival.name;
    if (first !== undefined) {
      const fault = nameFault(first);
      if (fault) (local.after ??= []).push({ text: this.#says.nameInvalid(first, fault), extra: { code: "name_invalid", name: first } });
      if (fault) first = undefined;
    }
    let room = MAIN_ROOM;
    if (arrival.room !== undefined) {
      const name = arrival.room.replace(/^#/, "");
      const fault = nameFault(name);
      if (fault) (local.after ??= []).push({ text: this.#says.roomInvalid(`#${name}`, fault), extra: { code: "room_invalid", name } });
      else room = name;
    }
    // The name asked for, then the address (unless anonymous), then guest-1, guest-2, …: the first one claimed.
    const claim: Claim = { local, room, owner: ownerOf(local.who), byAddress: !this.#anonymous };
    this.#claim(claim, first ?? this.#fallback(claim), first !== undefined);
    return claim.joinedAs;
  }

  /** The next name to try when the one before was taken. */
  #fallback(claim: Claim): string {
    if (!claim.byAddress) return `guest-${++this.#guests}`;
    claim.byAddress = false;
    return claim.local.member.address;
  }

  /** Claims name for a newcomer; joins under it once claimed, or tries the next one. */
  #claim(claim: Claim, name: string, asked: boolean): void {
    settle(this.#bus.names.claim(nameKey(name), claim.owner), (ok) => this.#claimed(claim, name, asked, ok));
  }

  #claimed(claim: Claim, name: string, asked: boolean, ok: boolean): void {
    const { local, room } = claim;
    const { member } = local;
    if (!ok) {
      if (asked) (local.after ??= []).push({ text: this.#says.nameTaken(name), extra: { code: "name_taken", name } });
      return this.#claim(claim, this.#fallback(claim), false);
    }
    if (this.#locals.get(member) !== local) return this.#bus.names.release(nameKey(name), claim.owner); // gone meanwhile
    claim.joinedAs = name;
    local.published = true;
    const by = local.who;
    this.#bus.publish(member.ip === undefined ? { kind: "join", by, name, room } : { kind: "join", by, name, room, ip: member.ip });
  }

  /** /quit and the socket's close both end here: announced once. */
  leave(member: Member, reason?: Reason): void {
    const local = this.#locals.get(member);
    if (!local) return;
    this.#detach(member, local, reason);
    if (local.published) this.#bus.publish(reason ? { kind: "leave", by: local.who, reason } : { kind: "leave", by: local.who });
  }

  /** A line from a member, already cleaned by the server. */
  handle(from: Member, input: Input): void {
    const local = this.#locals.get(from);
    if (!local) return;
    if (local.waiting?.length || !this.#ready(local, input)) {
      const waiting = (local.waiting ??= []);
      if (waiting.length < MAX_WAITING) return void waiting.push(input);
      // The bus has not answered for a long while (Redis away): past the bound, lines are dropped, as in a flood.
      if (!local.overflowed) this.tell(from, this.#says.slowDown, { code: "slow_down" });
      local.overflowed = true;
      return;
    }
    this.#handleNow(from, local, input);
  }

  /**
   * Whether input can be acted on now: once the member is in, and its changes before it have come back.
   * A chat line changes nothing the next one is judged on, so lines follow lines without waiting (a few
   * at a time): a cluster's round trip then bounds latency, not each person's throughput.
   */
  #ready(local: Local, input: Input): boolean {
    if (!local.person) return false;
    if (local.pending === 0) return true;
    return (input.kind === "say" || input.kind === "me") && local.pending === local.lines && local.lines < MAX_LINES_IN_FLIGHT;
  }

  #handleNow(from: Member, local: Local, input: Input): void {
    const person = local.person!;
    local.overflowed = false;
    if (person.mutedUntil !== undefined && speaks(input) && isMuted(person, this.#now())) return this.tell(from, this.#says.muted);
    const by = local.who;
    switch (input.kind) {
      case "say":
        local.lines++;
        return this.#publish(local, { kind: "say", by, type: "message", text: input.text, ts: this.#now() });
      case "me":
        local.lines++;
        return this.#publish(local, { kind: "say", by, type: "me", text: input.text, ts: this.#now() });
      case "nick":
        return this.#rename(from, local, person, input.name);
      case "who":
        return this.tell(from, this.#says.who(person.room.roster.all));
      case "msg": {
        const recipient = this.#byKey.get(nameKey(input.to));
        if (!recipient) return this.tell(from, this.#says.noSuchUser(input.to), { code: "no_such_user", name: input.to });
        return this.#publish(local, { kind: "whisper", by, to: recipient.who, text: input.text });
      }
      case "away":
        return this.#publish(local, { kind: "away", by, text: input.text });
      case "back":
        if (person.away === undefined) return this.tell(from, this.#says.notAway);
        return this.#publish(local, { kind: "away", by });
      case "help":
        for (const line of this.#says.help()) this.tell(from, line);
        return;
      case "quit":
        this.leave(from);
        return from.close();
      case "mode":
        if (input.mode !== "json" && input.mode !== "plain") return this.tell(from, this.#says.unknownMode(input.mode));
        local.json = input.mode === "json";
        person.room.audience.add(from, local.json);
        return this.#welcome(from, local, person, false);
      case "op":
      case "kick":
      case "mute":
      case "unmute":
      case "ban":
      case "unban":
      case "bans":
        return this.#moderation.handle(this.#chat, from, person, input);
      case "join":
        return this.#move(from, local, person, input.room);
      case "leave":
        return this.#move(from, local, person, MAIN_ROOM);
      case "rooms":
        return this.#send(from, { type: "rooms", rooms: this.rooms() });
      case "topic": {
        const room = person.room;
        if (input.text === "") return this.tell(from, room.topic === undefined ? this.#says.noTopic : this.#says.topic(room.topic));
        return this.#publish(local, { kind: "topic", by, room: room.key, text: input.text });
      }
      case "usage":
        return this.tell(from, this.#says.usage(input.usage));
      case "unknown":
        return this.tell(from, this.#says.unknownCommand(input.command));
    }
  }

  /** A reply to one member (`* TEXT`). */
  tell(member: Member, text: string, extra?: { code: string; name?: string }): void {
    this.#send(member, { type: "notice", text, ...extra });
  }

  /** Every room, sorted by name, with how many are in it and its topic. */
  rooms(): RoomInfo[] {
    return [...this.#rooms.values()]
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map((room) => (room.topic === undefined ? { room: room.tag, people: room.size } : { room: room.tag, people: room.size, topic: room.topic }));
  }

  /** How many rooms there are. */
  get roomCount(): number {
    return this.#rooms.size;
  }

  /** A notice to this server's members, in every room (`* server shutting down`). */
  announce(text: string): void {
    const line = new Rendered({ type: "notice", text }, this.#now(), this.#words);
    for (const room of this.#rooms.values()) room.audience.send(line);
  }

  #rename(member: Member, local: Local, person: Person, name: string): void {
    const fault = nameFault(name);
    if (fault) return this.tell(member, this.#says.nameInvalid(name, fault), { code: "name_invalid", name });
    if (name === person.name) return this.tell(member, this.#says.nameUnchanged(name), { code: "name_unchanged", name });
    local.pending++;
    settle(this.#bus.names.claim(nameKey(name), ownerOf(local.who)), (ok) => {
      if (this.#locals.get(member) !== local) return;
      if (ok) this.#publish(local, { kind: "rename", by: local.who, name });
      else this.tell(member, this.#says.nameTaken(name), { code: "name_taken", name });
      this.#settled(member, local);
    });
  }

  /** A change member made: its next line waits until this one is back. */
  #publish(local: Local | undefined, change: Shared): void {
    if (local) local.pending++;
    this.#bus.publish(change);
  }

  /** One of member's changes or claims is done with: once none is left, its waiting lines are said. */
  #settled(member: Member, local: Local): void {
    if (local.pending > 0) local.pending--;
    while (local.waiting?.length && this.#locals.get(member) === local && this.#ready(local, local.waiting[0]!))
      this.#handleNow(member, local, local.waiting.shift()!);
  }

  /** Out of this server's deliveries: nothing more reaches member, whatever the bus still carries. */
  #detach(member: Member, local: Local, reason?: Reason): void {
    this.#locals.delete(member);
    this.#byId.delete(local.who.id);
    if (!local.person) return;
    local.person.room.audience.delete(member);
    this.#joined--;
    member.left?.(local.person.name, local.person.room.tag, reason);
  }

  /** /join and /leave: checked here, moved when the bus brings the move back. */
  #move(member: Member, local: Local, person: Person, typed: string): void {
    const name = typed.startsWith("#") ? typed.slice(1) : typed;
    const fault = nameFault(name);
    if (fault) return this.tell(member, this.#says.roomInvalid(`#${name}`, fault), { code: "room_invalid", name });
    const key = nameKey(name);
    if (key === person.room.key) return this.tell(member, this.#says.alreadyIn(person.room.tag));
    if (!this.#rooms.has(key) && !this.#roomToSpare()) return this.tell(member, this.#says.tooManyRooms, { code: "too_many_rooms" });
    this.#publish(local, { kind: "move", by: local.who, room: name });
  }

  /** Whether one more room may be made, forgetting an empty one if need be. */
  #roomToSpare(): boolean {
    return this.#maxRooms === 0 || this.#rooms.size < this.#maxRooms || this.#emptiest() !== undefined;
  }

  /** The room empty longest, #main aside: the first to forget. */
  #emptiest(): Room | undefined {
    let oldest: Room | undefined;
    for (const room of this.#rooms.values())
      if (room.size === 0 && room !== this.#main && (!oldest || room.emptySince < oldest.emptySince)) oldest = room;
    return oldest;
  }

  /** The room called name, made (spelled so) if new; undefined when there are too many and none is empty. */
  #open(name: string): Room | undefined {
    const key = nameKey(name);
    const found = this.#rooms.get(key);
    if (found) return found;
    if (this.#maxRooms > 0 && this.#rooms.size >= this.#maxRooms) {
      const forget = this.#emptiest();
      if (!forget) return undefined;
      this.#rooms.delete(forget.key);
    }
    const room = new Room(name, key, this.#historyLength, this.#audience());
    this.#rooms.set(key, room);
    return room;
  }

  /** Someone went out of room: an empty room with nothing to keep goes at once; one with history or a topic waits to be forgotten. */
  #vacated(room: Room): void {
    if (room.size > 0 || room === this.#main) return;
    // One past every room's: later than any room emptied before, on every server, loaded rooms included.
    let last = 0;
    for (const other of this.#rooms.values()) if (other.emptySince > last) last = other.emptySince;
    room.emptySince = last + 1;
    if (room.bare) this.#rooms.delete(room.key);
  }

  #person(who: Who): Person | undefined {
    return this.#people.get(who.node)?.get(who.id);
  }

  /** This server's member behind who, if it is one of ours. */
  #member(who: Who): Member | undefined {
    return this.#local(who)?.member;
  }

  #local(who: Who): Local | undefined {
    return who.node === this.#node ? this.#byId.get(who.id) : undefined;
  }

  // Applying what the bus delivers: the only place shared state changes.

  #apply(change: Shared): void {
    this.#applyChange(change);
    const local = this.#local(change.by);
    if (!local) return;
    if (change.kind === "say" && local.lines > 0) local.lines--;
    this.#settled(local.member, local);
  }

  #applyChange(change: Shared): void {
    if (change.kind === "join") return this.#applyJoin(change);
    if (change.kind === "unban") return this.#applyUnban(change);
    const person = this.#person(change.by);
    if (!person) return; // gone before its change came round
    switch (change.kind) {
      case "leave":
        return this.#remove(person, change.reason);
      case "kick": {
        const target = this.#person(change.target);
        if (target) this.#remove(target, "kicked", this.#says.kickedYou(person.name, change.why));
        return;
      }
      case "say": {
        const said = { type: change.type, from: person.name, text: change.text, ts: change.ts, room: person.room.tag };
        person.room.history.add(said);
        return person.room.audience.send(new Rendered(said, said.ts, this.#words)); // one object for both: its JSON is the same with ts inside
      }
      case "whisper":
        return this.#applyWhisper(person, change.to, change.text);
      case "rename":
        return this.#applyRename(person, change.name);
      case "away": {
        person.away = change.text;
        person.room.roster.setAway(person.name, change.text);
        const member = this.#member(person.who);
        if (member) this.tell(member, change.text === undefined ? this.#says.back : this.#says.nowAway(change.text));
        return;
      }
      case "op": {
        person.op = true;
        const member = this.#member(person.who);
        if (member) this.tell(member, this.#says.nowOperator);
        return;
      }
      case "mute": {
        const target = this.#person(change.target);
        if (!target) return;
        target.mutedUntil = change.until ?? Infinity;
        return this.#operated(person, target.room, this.#says.nowMuted(target.name, change.ms));
      }
      case "unmute": {
        const target = this.#person(change.target);
        if (!target) return;
        delete target.mutedUntil;
        return this.#operated(person, target.room, this.#says.unmuted(target.name));
      }
      case "ban": {
        const range = this.#moderation.applyBan(change);
        const member = this.#member(person.who);
        if (member) this.tell(member, this.#says.bannedRange(change.range, change.ms));
        if (!range) return;
        for (const caught of [...this.#byKey.values()].filter((p) => Moderation.caught(p, range)))
          this.#remove(caught, "banned", this.#says.bannedYou(change.from));
        return;
      }
      case "move":
        return this.#applyMove(person, change.room);
      case "topic": {
        const room = this.#rooms.get(change.room);
        if (!room || change.text === undefined) return;
        room.topic = change.text;
        return room.audience.send(new Rendered({ type: "topic", room: room.tag, from: person.name, text: change.text }, this.#now(), this.#words));
      }
    }
  }

  /** Everything shared, as plain data: a cluster keeps it for the servers that join later. */
  #save(): ChatState {
    const people: SavedPerson[] = [];
    for (const person of this.#byKey.values()) {
      const muted = person.mutedUntil === undefined ? undefined : person.mutedUntil === Infinity ? "forever" : person.mutedUntil;
      people.push({
        node: person.who.node,
        id: person.who.id,
        name: person.name,
        room: person.room.name,
        ...(person.away === undefined ? {} : { away: person.away }),
        ...(person.ip === undefined ? {} : { ip: person.ip }),
        ...(person.op ? { op: true as const } : {}),
        ...(muted === undefined ? {} : { muted }),
      });
    }
    const rooms: SavedRoom[] = [];
    for (const room of this.#rooms.values())
      if (room.size > 0 || room.history.size > 0 || room.topic !== undefined)
        rooms.push({
          name: room.name,
          ...(room.topic === undefined ? {} : { topic: room.topic }),
          ...(room.size === 0 ? { emptySince: room.emptySince } : {}),
          history: room.history.lines(),
        });
    return { version: 1, people, rooms, bans: serializeBans(this.#moderation.bans.list(this.#now())) };
  }

  /** The cluster's state, before the first change is delivered here and before anyone of ours has joined: nobody is told. */
  #load(data: unknown): void {
    const state = readState(data);
    if (!state) return;
    for (const saved of state.rooms) {
      const room = this.#open(saved.name);
      if (!room) continue;
      if (saved.topic !== undefined) room.topic = saved.topic;
      if (saved.emptySince !== undefined) room.emptySince = saved.emptySince;
      for (const said of saved.history) room.history.add(said);
    }
    for (const saved of state.people) {
      const room = this.#open(saved.room) ?? this.#main;
      const who = { node: saved.node, id: saved.id };
      const person: Person = { who, name: saved.name, key: nameKey(saved.name), room, op: saved.op === true };
      if (saved.away !== undefined) person.away = saved.away;
      if (saved.ip !== undefined) (person as { ip?: string }).ip = saved.ip;
      if (saved.muted !== undefined) person.mutedUntil = saved.muted === "forever" ? Infinity : saved.muted;
      this.#register(person);
      room.roster.add(person.name, person.away);
    }
    this.#moderation.bans.replace(parseBans(state.bans), this.#now());
  }

  /** Someone in the chat from now on, found by who and by name (their room's roster is the caller's). */
  #register(person: Person): void {
    let ofNode = this.#people.get(person.who.node);
    if (!ofNode) this.#people.set(person.who.node, (ofNode = new Map()));
    ofNode.set(person.who.id, person);
    this.#byKey.set(person.key, person);
  }

  #applyJoin(change: Extract<Shared, { kind: "join" }>): void {
    if (this.#person(change.by)) return;
    const local = this.#local(change.by);
    const member = local?.member;
    let room = this.#open(change.room);
    if (!room) {
      if (local) (local.after ??= []).push({ text: this.#says.tooManyRooms, extra: { code: "too_many_rooms" } });
      room = this.#main;
    }
    const { by: who, name } = change;
    const key = nameKey(name);
    const person: Person = change.ip === undefined ? { who, name, key, room, op: false } : { who, name, key, room, op: false, ip: change.ip };
    this.#register(person);
    if (member && local) this.#welcome(member, local, person, true);
    room.audience.send(new Rendered({ type: "join", name: person.name, room: room.tag }, this.#now(), this.#words)); // before adding: not to them
    room.roster.add(person.name);
    if (!member || !local) return;
    local.person = person;
    room.audience.add(member, local.json);
    this.#joined++;
    member.joined?.(person.name, person.room.tag);
    if (!local.after) return;
    for (const { text, extra } of local.after) this.tell(member, text, extra);
    local.after = undefined;
  }

  /** Out of the chat (a leave, a kick, a ban): told why if one of ours, announced to the room, its name given back. */
  #remove(person: Person, reason: Reason | undefined, told?: string): void {
    const local = this.#local(person.who);
    const member = local?.member;
    if (member && local) {
      if (told) this.tell(member, told);
      this.#detach(member, local, reason);
    }
    this.#people.get(person.who.node)?.delete(person.who.id);
    if (this.#byKey.get(person.key) === person) this.#byKey.delete(person.key);
    const room = person.room;
    room.roster.remove(person.name);
    const event: Event = reason ? { type: "leave", name: person.name, reason, room: room.tag } : { type: "leave", name: person.name, room: room.tag };
    room.audience.send(new Rendered(event, this.#now(), this.#words));
    this.#vacated(room);
    if (person.who.node === this.#node) this.#bus.names.release(person.key, ownerOf(person.who));
    if (member && local) member.close(reason);
  }

  #applyRename(person: Person, name: string): void {
    const old = person.name;
    const oldKey = person.key;
    const key = nameKey(name);
    if (this.#byKey.get(oldKey) === person) this.#byKey.delete(oldKey);
    person.name = name;
    person.key = key;
    this.#byKey.set(key, person);
    person.room.roster.rename(old, name);
    if (person.who.node === this.#node && key !== oldKey) this.#bus.names.release(oldKey, ownerOf(person.who));
    person.room.audience.send(new Rendered({ type: "nick", from: old, to: name, room: person.room.tag }, this.#now(), this.#words));
  }

  /** Out of one room, into another; the mover is shown where they are, who is there and what was said. */
  #applyMove(person: Person, name: string): void {
    const local = this.#local(person.who);
    const member = local?.member;
    const room = this.#open(name);
    if (!room) {
      if (member) this.tell(member, this.#says.tooManyRooms, { code: "too_many_rooms" });
      return;
    }
    const old = person.room;
    if (room === old) return;
    old.roster.remove(person.name);
    if (member) old.audience.delete(member);
    old.audience.send(new Rendered({ type: "leave", name: person.name, room: old.tag, to: room.tag }, this.#now(), this.#words));
    this.#vacated(old);
    person.room = room;
    if (member && local) {
      const present = room.roster.all;
      this.#send(member, room.topic === undefined ? { type: "room", room: room.tag, present } : { type: "room", room: room.tag, topic: room.topic, present }, local.json);
      if (room.history.size > 0) this.#send(member, { type: "history", lines: room.history.lines(), room: room.tag }, local.json);
    }
    room.audience.send(new Rendered({ type: "join", name: person.name, room: room.tag }, this.#now(), this.#words)); // before adding: not to them
    room.roster.add(person.name, person.away);
    if (member && local) room.audience.add(member, local.json);
  }

  #applyWhisper(sender: Person, to: Who, text: string): void {
    const recipient = this.#person(to);
    if (!recipient) return; // left before the line came round
    const event: Event = { type: "private", from: sender.name, to: recipient.name, text };
    const target = this.#member(to);
    const from = this.#member(sender.who);
    if (target) this.#send(target, event);
    if (from && from !== target) {
      this.#send(from, event);
      if (recipient.away !== undefined) this.tell(from, this.#says.isAway(recipient.name, recipient.away));
    }
  }

  #applyUnban(change: Extract<Shared, { kind: "unban" }>): void {
    const lifted = this.#moderation.bans.remove(change.target, this.#now());
    const member = this.#member(change.by);
    if (!member) return;
    this.tell(member, lifted.length ? this.#says.unbanned(lifted.map((b) => formatCidr(b.range))) : this.#says.noBan(change.target));
  }

  /**
   * The welcome, the motd and the room's history. A newcomer in plain text gets the names
   * already joined and encoded; anyone else (JSON, or asking again with /mode) the event.
   */
  #welcome(member: Member, local: Local, person: Person, arriving: boolean): void {
    const room = person.room;
    let welcome: Uint8Array;
    // In #main a newcomer on nc sees the welcome and nothing more (/topic shows the topic), built from the names already encoded.
    if (arriving && !local.json && room === this.#main) {
      const { roster } = room;
      welcome = encodeWelcome(this.#words, person.name, roster.listed(PRESENT_MAX), roster.size, this.#motd);
    } else {
      welcome = this.#rendered(this.#welcomeEvent(person, room), local.json);
    }
    if (room.history.size === 0) return member.send(welcome);
    // One send, so one write: the history comes with the welcome, before anything else.
    const history = this.#rendered({ type: "history", lines: room.history.lines(), room: room.tag }, local.json);
    const both = new Uint8Array(welcome.length + history.length);
    both.set(welcome);
    both.set(history, welcome.length);
    member.send(both);
  }

  #welcomeEvent(person: Person, room: Room): Event {
    const present = room.roster.all.filter((p) => p.name !== person.name);
    const welcome = { type: "welcome", name: person.name, present, motd: this.#motd, lang: this.#words.lang, room: room.tag, ...this.#limits } as const;
    return room.topic === undefined ? welcome : { ...welcome, topic: room.topic };
  }

  /** What an operator did is told to the room it concerns, and to the operator if elsewhere. */
  #operated(operator: Person, room: Room, text: string): void {
    room.audience.send(new Rendered({ type: "notice", text, room: room.tag }, this.#now(), this.#words));
    const member = this.#member(operator.who);
    if (member && operator.room !== room) this.tell(member, text);
  }

  #send(member: Member, event: Event, json = this.#locals.get(member)?.json ?? false): void {
    member.send(this.#rendered(event, json));
  }

  #rendered(event: Event, json: boolean): Uint8Array {
    return new Rendered(event, this.#now(), this.#words).bytes(json);
  }
}
