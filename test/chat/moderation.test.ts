// Operators with fake members: /op, /kick, /mute, /ban and what everyone sees.
import { expect, test } from "bun:test";
import { Secret } from "../../core/chat/secret.ts";
import { Bans } from "../../core/chat/bans.ts";
import { parseInput } from "../../core/wire/commands.ts";
import type { Reason } from "../../core/wire/events.ts";
import { Hub } from "../../core/chat/hub.ts";
import type { Member } from "../../core/chat/member.ts";
import { wordsFor } from "../../core/wire/messages.ts";
import { Moderation } from "../../core/chat/moderation.ts";

class Fake implements Member {
  readonly lines: string[] = [];
  closed?: Reason | "quit";
  readonly address: string;
  constructor(readonly ip: string, port = 1) {
    this.address = `${ip}:${port}`;
  }
  send(bytes: Uint8Array): void {
    this.lines.push(...new TextDecoder().decode(bytes).split("\n").slice(0, -1));
  }
  close(reason?: Reason): void {
    this.closed = reason ?? "quit";
  }
  get last(): string | undefined {
    return this.lines.at(-1);
  }
}

function room(opPassword: string | null = "boss") {
  let now = Date.UTC(2026, 0, 1);
  const saved: string[][] = [];
  const bans = new Bans([], (list) => saved.push(list.map((b) => b.label ?? "")));
  const moderation = new Moderation({ bans, now: () => now, ...(opPassword ? { opSecret: new Secret(opPassword) } : {}) });
  const hub = new Hub({ words: wordsFor("en"), history: 0, moderation, now: () => now });
  const people: Record<string, Fake> = {};
  const add = (name: string, ip: string) => {
    const member = new Fake(ip, Object.keys(people).length + 1);
    hub.join(member);
    hub.handle(member, parseInput(`/nick ${name}`));
    people[name] = member;
    return member;
  };
  const say = (member: Fake, line: string) => hub.handle(member, parseInput(line));
  /** Each line said by member, and the last line member then has. */
  const dialogue = (member: Fake, exchanges: [said: string, reply: string][]) => {
    for (const [line, reply] of exchanges) {
      say(member, line);
      expect(member.last).toBe(reply);
    }
  };
  return { hub, bans, saved, add, say, dialogue, people, later: (ms: number) => (now += ms) };
}

test("/op: the right password makes an operator; three wrong ones and the connection gets no more tries", () => {
  const { add, say } = room();
  const alice = add("alice", "10.0.0.1");
  say(alice, "/op nope");
  expect(alice.last).toBe("* wrong operator password");
  say(alice, "/op boss");
  expect(alice.last).toBe("* you are an operator");
  say(alice, "/op boss");
  expect(alice.last).toBe("* you are already an operator");
  const bob = add("bob", "10.0.0.2");
  for (const guess of ["a", "b", "c"]) say(bob, `/op ${guess}`);
  say(bob, "/op boss");
  expect(bob.lines.slice(-4)).toEqual(["* wrong operator password", "* wrong operator password", "* wrong operator password", "* no more /op tries on this connection"]);
});

test("without an operator password nobody is an operator", () => {
  const { add, say } = room(null);
  const alice = add("alice", "10.0.0.1");
  say(alice, "/op anything");
  expect(alice.last).toBe("* this room has no operators");
  say(alice, "/kick bob");
  expect(alice.last).toBe("* only operators can do that");
});

test("/kick NAME REASON: they are told why and closed; everyone else sees NAME has left (kicked)", () => {
  const { add, say } = room();
  const [alice, bob, carol] = [add("alice", "10.0.0.1"), add("bob", "10.0.0.2"), add("carol", "10.0.0.3")];
  say(carol, "/kick bob");
  expect(carol.last).toBe("* only operators can do that");
  say(alice, "/op boss");
  say(alice, "/kick BOB spamming the room");
  expect(bob.last).toBe("* you were kicked by alice: spamming the room");
  expect(bob.closed).toBe("kicked");
  expect(carol.last).toBe("bob has left (kicked)");
  expect(alice.last).toBe("bob has left (kicked)");
  say(alice, "/kick alice");
  expect(alice.last).toBe("* not on yourself");
  say(alice, "/kick bob");
  expect(alice.last).toBe("* no one here is called bob");
});

test("/mute NAME DURATION: announced; a muted member's lines reach nobody until the time is up", () => {
  const { add, say, later } = room();
  const [alice, bob, carol] = [add("alice", "10.0.0.1"), add("bob", "10.0.0.2"), add("carol", "10.0.0.3")];
  say(alice, "/op boss");
  say(alice, "/mute bob 10m");
  expect(carol.last).toBe("* bob has been muted for 10m");
  for (const line of ["hello?", "/me shouts", "/msg carol psst", "/nick robert"]) {
    say(bob, line);
    expect(bob.last).toBe("* you are muted");
  }
  expect(carol.last).toBe("* bob has been muted for 10m");
  later(10 * 60_000 + 1);
  say(bob, "back again");
  expect(carol.last).toBe("bob: back again");
});

test("/mute without a duration lasts until /unmute", () => {
  const { add, say, dialogue, later } = room();
  const [alice, bob] = [add("alice", "10.0.0.1"), add("bob", "10.0.0.2")];
  say(alice, "/op boss");
  dialogue(alice, [["/mute bob", "* bob has been muted"]]);
  later(365 * 86_400_000);
  dialogue(bob, [["still?", "* you are muted"]]);
  dialogue(alice, [
    ["/unmute bob", "* bob may talk again"],
    ["/unmute bob", "* bob is not muted"],
  ]);
  say(bob, "free");
  expect(alice.last).toBe("bob: free");
});

test("/ban NAME bans their address: they and others from it leave (banned), operators stay", () => {
  const { add, say, bans, saved, hub } = room();
  const alice = add("alice", "10.0.0.1");
  const bob = add("bob", "10.0.0.2");
  const bobToo = add("bobs-twin", "10.0.0.2");
  const opFromThere = add("dave", "10.0.0.2");
  const carol = add("carol", "10.0.0.3");
  say(alice, "/op boss");
  say(opFromThere, "/op boss");
  say(alice, "/ban bob 1h");
  expect(alice.lines).toContain("* banned 10.0.0.2 for 1h");
  expect(bob.lines.at(-1)).toBe("* you were banned by alice");
  expect(bob.closed).toBe("banned");
  expect(bobToo.closed).toBe("banned");
  expect(opFromThere.closed).toBeUndefined();
  expect(carol.lines.slice(-2)).toEqual(["bob has left (banned)", "bobs-twin has left (banned)"]);
  expect(hub.size).toBe(3);
  expect(bans.list(Date.UTC(2026, 0, 1)).map((b) => b.label)).toEqual(["bob"]);
  expect(saved).toEqual([["bob"]]); // written once
});

test("/ban CIDR, /bans, /unban; a range holding one's own address is refused", () => {
  const { add, say, dialogue, later } = room();
  const alice = add("alice", "10.0.0.1");
  const bob = add("bob", "192.0.2.7");
  say(alice, "/op boss");
  dialogue(alice, [["/ban 10.0.0.0/8", "* 10.0.0.0/8 holds your own address"]]);
  say(alice, "/ban 192.0.2.0/24 30m");
  expect(bob.closed).toBe("banned");
  dialogue(alice, [
    ["/ban 2001:db8::/32", "* banned 2001:db8::/32"],
    ["/bans", "* Bans: 192.0.2.0/24 for 30m more, 2001:db8::/32"],
  ]);
  later(31 * 60_000);
  dialogue(alice, [
    ["/bans", "* Bans: 2001:db8::/32"],
    ["/unban 2001:DB8::/32", "* unbanned 2001:db8::/32"],
    ["/unban 2001:db8::/32", "* no ban matches 2001:db8::/32"],
    ["/bans", "* no bans"],
    ["/ban nobody-here", "* nobody-here is neither someone here nor an IP address or CIDR range"],
  ]);
});

test("/unban NAME lifts the ban given for that name", () => {
  const { add, say } = room();
  const alice = add("alice", "10.0.0.1");
  add("bob", "10.0.0.2");
  say(alice, "/op boss");
  say(alice, "/ban bob");
  say(alice, "/unban BOB");
  expect(alice.last).toBe("* unbanned 10.0.0.2");
});

test.each([
  ["/kick", "/kick NAME [REASON]"],
  ["/mute bob soon", "/mute NAME [DURATION]"],
  ["/mute bob 10m extra", "/mute NAME [DURATION]"],
  ["/ban", "/ban NAME|IP|CIDR [DURATION]"],
  ["/ban 10.0.0.0/8 0", "/ban NAME|IP|CIDR [DURATION]"],
  ["/unban", "/unban NAME|IP|CIDR"],
  ["/op", "/op PASSWORD"],
])("%p → * usage: %s", (line, usage) => {
  const { add, say } = room();
  const alice = add("alice", "10.0.0.1");
  say(alice, line);
  expect(alice.last).toBe(`* usage: ${usage}`);
});

test("/help lists the operators' commands", () => {
  const { add, say } = room();
  const alice = add("alice", "10.0.0.1");
  say(alice, "/help");
  const help = alice.lines.join("\n");
  for (const usage of ["/op PASSWORD", "/kick NAME [REASON]", "/mute NAME [DURATION]", "/unmute NAME", "/ban NAME|IP|CIDR [DURATION]", "/unban NAME|IP|CIDR", "/bans"])
    expect(help).toContain(usage);
});
