// The bus seam: the hub applies only what the bus delivers, and two hubs on one bus are one chat.
import { expect, test } from "bun:test";
import type { Bus, Names } from "../../core/bus/bus.ts";
import { LocalBus, LocalNames } from "../../core/bus/local.ts";
import type { Shared } from "../../core/bus/shared.ts";
import { parseInput } from "../../core/wire/commands.ts";
import { Hub } from "../../core/chat/hub.ts";
import type { Member } from "../../core/chat/member.ts";
import { Moderation } from "../../core/chat/moderation.ts";
import { Secret } from "../../core/chat/secret.ts";
import { wordsFor } from "../../core/wire/messages.ts";

class Fake implements Member {
  readonly lines: string[] = [];
  closed = false;
  constructor(readonly address: string, readonly ip?: string) {}
  send(bytes: Uint8Array): void {
    this.lines.push(...new TextDecoder().decode(bytes).split("\n").slice(0, -1));
  }
  close(): void {
    this.closed = true;
  }
}

/**
 * Servers sharing one bus, as Redis would join them: a change is published as JSON text, and
 * delivered to every server, the publisher too, only when the test says so; names are claimed
 * in one place and the answer comes later.
 */
class Cluster {
  readonly queue: string[] = [];
  readonly published: Shared[] = [];
  readonly #applies: ((change: Shared) => void)[] = [];
  readonly #names = new LocalNames();

  bus(node: string): Bus {
    const names: Names = {
      claim: (key, owner) => Promise.resolve(this.#names.claim(key, owner)),
      release: (key, owner) => this.#names.release(key, owner),
    };
    return {
      node,
      names,
      publish: (change) => {
        this.published.push(change);
        this.queue.push(JSON.stringify(change));
      },
      onDeliver: (apply) => void this.#applies.push(apply),
    };
  }

  /** Lets claims answer and delivers everything published, until nothing moves. */
  async settle(): Promise<void> {
    for (let round = 0; round < 10; round++) {
      await null;
      while (this.queue.length > 0) {
        const change = JSON.parse(this.queue.shift()!) as Shared;
        for (const apply of this.#applies) apply(change);
      }
    }
  }
}

const T0 = Date.UTC(2026, 0, 2, 3, 4);
const hubOn = (bus: Bus, moderation?: Moderation) => new Hub({ words: wordsFor("en"), now: () => T0, bus, ...(moderation ? { moderation } : {}) });

test("LocalBus applies at once, and a change published while one is applied goes after it, not inside it", () => {
  const bus = new LocalBus();
  const seen: string[] = [];
  bus.onDeliver((change) => {
    seen.push(`start ${change.kind}`);
    if (change.kind === "op") bus.publish({ kind: "away", by: change.by });
    seen.push(`end ${change.kind}`);
  });
  bus.publish({ kind: "op", by: { node: "local", id: 1 } });
  expect(seen).toEqual(["start op", "end op", "start away", "end away"]);
});

test("LocalNames: one owner per name; giving back a name one does not hold changes nothing", () => {
  const names = new LocalNames();
  expect(names.claim("alice", "a/1")).toBe(true);
  expect(names.claim("alice", "a/1")).toBe(true);
  expect(names.claim("alice", "a/2")).toBe(false);
  names.release("alice", "a/2");
  expect(names.claim("alice", "a/2")).toBe(false);
  names.release("alice", "a/1");
  expect(names.claim("alice", "a/2")).toBe(true);
});

test("nothing said, joined or renamed is applied until the bus delivers it, and every change is plain JSON", async () => {
  const cluster = new Cluster();
  const hub = hubOn(cluster.bus("a"));
  const alice = new Fake("1.1.1.1:1");
  hub.join(alice);
  expect(alice.lines).toEqual([]);
  expect(hub.size).toBe(0);
  await cluster.settle();
  expect(alice.lines).toEqual(["You are 1.1.1.1:1"]);
  hub.handle(alice, parseInput("hello"));
  hub.handle(alice, parseInput("/nick alice"));
  expect(alice.lines).toEqual(["You are 1.1.1.1:1"]);
  await cluster.settle();
  expect(alice.lines).toEqual(["You are 1.1.1.1:1", "1.1.1.1:1: hello", "1.1.1.1:1 is now known as alice"]);
  for (const change of cluster.published) expect(JSON.parse(JSON.stringify(change))).toEqual(change);
  expect(cluster.published.every((change) => change.by.node === "a")).toBe(true);
});

test("two servers on one bus are one chat: the same order, names unique across them, /msg and /who across them", async () => {
  const cluster = new Cluster();
  const [one, two] = [hubOn(cluster.bus("one")), hubOn(cluster.bus("two"))];
  const alice = new Fake("10.0.0.1:1");
  const bob = new Fake("10.0.0.2:2");
  one.join(alice, { name: "alice" });
  two.join(bob, { name: "bob" });
  await cluster.settle();
  expect(alice.lines).toEqual(["You are alice", "bob has arrived"]);
  expect(bob.lines).toEqual(["You are bob", "Present: alice"]);

  // Both said before either was delivered: both servers show them in the bus's order.
  one.handle(alice, parseInput("first"));
  two.handle(bob, parseInput("second"));
  await cluster.settle();
  expect(alice.lines.slice(-2)).toEqual(["alice: first", "bob: second"]);
  expect(bob.lines.slice(-2)).toEqual(["alice: first", "bob: second"]);

  // The same name claimed on both servers at once: one wins, the other is told, and everyone agrees.
  const carol = new Fake("10.0.0.3:3");
  const dave = new Fake("10.0.0.4:4");
  one.join(carol);
  two.join(dave);
  await cluster.settle();
  one.handle(carol, parseInput("/nick Zed"));
  two.handle(dave, parseInput("/nick zed"));
  await cluster.settle();
  expect(carol.lines).toContain("10.0.0.3:3 is now known as Zed");
  expect(dave.lines).toContain("* name zed is taken");
  expect(one.nameOf(carol)).toBe("Zed");
  expect(two.nameOf(dave)).toBe("10.0.0.4:4");

  two.handle(bob, parseInput("/msg ALICE psst"));
  two.handle(bob, parseInput("/who"));
  await cluster.settle();
  expect(alice.lines.at(-1)).toBe("* bob -> alice: psst");
  // /who waited for the /msg before it to come back: replies keep the order of the lines.
  expect(bob.lines.slice(-2)).toEqual(["* bob -> alice: psst", "* Present: 10.0.0.4:4, Zed, alice, bob"]);
  expect(carol.lines.some((l) => l.includes("psst"))).toBe(false);

  // A name is free again once its holder has left, on whichever server.
  one.leave(carol);
  await cluster.settle();
  expect(bob.lines.at(-1)).toBe("Zed has left");
  two.handle(dave, parseInput("/nick zed"));
  await cluster.settle();
  expect(two.nameOf(dave)).toBe("zed");
});

test("an operator on one server kicks and bans people on another; a taken first name falls back to the address", async () => {
  const cluster = new Cluster();
  const moderation = new Moderation({ opSecret: new Secret("boss"), now: () => T0 });
  const [one, two] = [hubOn(cluster.bus("one"), moderation), hubOn(cluster.bus("two"))];
  const op = new Fake("10.0.0.1:1", "10.0.0.1");
  const bob = new Fake("10.0.0.2:2", "10.0.0.2");
  const eve = new Fake("10.0.0.3:3", "10.0.0.3");
  one.join(op, { name: "op" });
  two.join(bob, { name: "bob" });
  two.join(eve, { name: "BOB" });
  await cluster.settle();
  expect(eve.lines).toEqual(["You are 10.0.0.3:3", "Present: bob, op", "* name BOB is taken"]);
  // Said at once, before the first came round: each of op's lines waits for the one before it to be applied.
  one.handle(op, parseInput("/op boss"));
  one.handle(op, parseInput("/kick bob spam"));
  await cluster.settle();
  expect(op.lines.slice(-2)).toEqual(["* you are an operator", "bob has left (kicked)"]);
  expect(bob.lines.at(-1)).toBe("* you were kicked by op: spam");
  expect(bob.closed).toBe(true);
  one.handle(op, parseInput("/ban 10.0.0.3"));
  await cluster.settle();
  expect(op.lines.slice(-2)).toEqual(["* banned 10.0.0.3", "10.0.0.3:3 has left (banned)"]);
  expect(eve.lines.at(-1)).toBe("* you were banned by op");
  expect(two.size).toBe(0);
});

test("one that leaves while its name is still being claimed is never announced, and its name is free", async () => {
  const cluster = new Cluster();
  const hub = hubOn(cluster.bus("a"));
  const watcher = new Fake("w:1");
  hub.join(watcher);
  await cluster.settle();
  const ghost = new Fake("g:1");
  hub.join(ghost, { name: "ghost" });
  hub.leave(ghost);
  await cluster.settle();
  expect(watcher.lines).toEqual(["You are w:1"]);
  hub.handle(watcher, parseInput("/nick ghost"));
  await cluster.settle();
  expect(hub.nameOf(watcher)).toBe("ghost");
});

test("rooms are shared: a move, a topic and /rooms agree on both servers, and a room is one whatever its case", async () => {
  const cluster = new Cluster();
  const [one, two] = [hubOn(cluster.bus("one")), hubOn(cluster.bus("two"))];
  const alice = new Fake("10.0.0.1:1");
  const bob = new Fake("10.0.0.2:2");
  one.join(alice, { name: "alice" });
  two.join(bob, { name: "bob", room: "#Dev" });
  await cluster.settle();
  expect(bob.lines).toEqual(["You are bob", "* you are now in #Dev"]);
  one.handle(alice, parseInput("/join dev"));
  one.handle(alice, parseInput("/topic shared"));
  one.handle(alice, parseInput("in dev"));
  expect(alice.lines).toEqual(["You are alice"]); // nothing until the bus brings it back
  await cluster.settle();
  expect(alice.lines).toEqual(["You are alice", "* you are now in #Dev", "Present: bob", "* alice set the topic: shared", "alice: in dev"]);
  expect(bob.lines.slice(2)).toEqual(["alice has arrived", "* alice set the topic: shared", "alice: in dev"]);
  expect(two.rooms()).toEqual(one.rooms());
  expect(one.rooms()).toEqual([{ room: "#Dev", people: 2, topic: "shared" }, { room: "#main", people: 0 }]);
});

test("--max-rooms is decided where the move is applied, the same way on every server", async () => {
  const cluster = new Cluster();
  const hub = (node: string) => new Hub({ words: wordsFor("en"), now: () => T0, bus: cluster.bus(node), maxRooms: 2 });
  const [one, two] = [hub("one"), hub("two")];
  const alice = new Fake("10.0.0.1:1");
  const bob = new Fake("10.0.0.2:2");
  one.join(alice, { name: "alice" });
  two.join(bob, { name: "bob" });
  await cluster.settle();
  // Both ask for a new room before either move is applied: the first one in the bus's order wins it.
  one.handle(alice, parseInput("/join first"));
  two.handle(bob, parseInput("/join second"));
  await cluster.settle();
  expect(alice.lines.at(-1)).toBe("* you are now in #first");
  expect(bob.lines.at(-1)).toBe("* too many rooms");
  expect(one.rooms()).toEqual(two.rooms());
  expect(two.rooms().map((r) => r.room)).toEqual(["#first", "#main"]);
});

test("the room forgotten first is the same on servers whose clocks disagree: emptied longest in the bus's order", async () => {
  const cluster = new Cluster();
  let skew = 0;
  const hub = (node: string, clock: () => number) => new Hub({ words: wordsFor("en"), now: clock, bus: cluster.bus(node), maxRooms: 3 });
  // Server two's clock jumps about; only the order of the changes may decide.
  const [one, two] = [hub("one", () => T0), hub("two", () => T0 + (skew = (skew + 7919) % 10_000))];
  const alice = new Fake("10.0.0.1:1");
  const bob = new Fake("10.0.0.2:2");
  one.join(alice, { name: "alice" });
  two.join(bob, { name: "bob" });
  await cluster.settle();
  for (const [hubOf, member, room] of [[one, alice, "a"], [two, bob, "b"]] as const) {
    hubOf.handle(member, parseInput(`/join ${room}`));
    hubOf.handle(member, parseInput(`said in ${room}`)); // history keeps the room once it is empty
  }
  await cluster.settle();
  two.handle(bob, parseInput("/leave"));
  await cluster.settle();
  one.handle(alice, parseInput("/leave"));
  await cluster.settle();
  one.handle(alice, parseInput("/join c")); // one room too many: #b, emptied first, goes
  await cluster.settle();
  expect(one.rooms().map((r) => r.room)).toEqual(["#a", "#c", "#main"]);
  expect(two.rooms()).toEqual(one.rooms());
});

test("an operator's mute is told to the room of the one muted, and to the operator in another room", async () => {
  const cluster = new Cluster();
  const moderation = new Moderation({ opSecret: new Secret("boss"), now: () => T0 });
  const [one, two] = [hubOn(cluster.bus("one"), moderation), hubOn(cluster.bus("two"))];
  const op = new Fake("10.0.0.1:1", "10.0.0.1");
  const bob = new Fake("10.0.0.2:2", "10.0.0.2");
  const carol = new Fake("10.0.0.3:3", "10.0.0.3");
  one.join(op, { name: "op" });
  two.join(bob, { name: "bob", room: "dev" });
  two.join(carol, { name: "carol", room: "dev" });
  await cluster.settle();
  one.handle(op, parseInput("/op boss"));
  one.handle(op, parseInput("/mute bob 10m"));
  await cluster.settle();
  expect(op.lines.at(-1)).toBe("* bob has been muted for 10m");
  expect(carol.lines.at(-1)).toBe("* bob has been muted for 10m");
  two.handle(bob, parseInput("still here"));
  expect(bob.lines.at(-1)).toBe("* you are muted");
  two.handle(bob, parseInput("/topic muted topic"));
  expect(bob.lines.at(-1)).toBe("* you are muted");
  two.handle(bob, parseInput("/topic"));
  expect(bob.lines.at(-1)).toBe("* no topic");
  await cluster.settle();
  expect(carol.lines.some((l) => l.includes("still here") || l.includes("muted topic"))).toBe(false);
});
