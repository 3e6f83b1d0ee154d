// Outboxes reading a shared channel: one write per outbox per turn, every byte in order, the cap, and the goodbye.
import { expect, test } from "bun:test";
import { Channel } from "../../core/server/channel.ts";
import { Outbox, type Writable } from "../../core/server/outbox.ts";
import { Turn } from "../../core/server/turn.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
/** Resolves after the turn's flush: setImmediate callbacks run in order. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
/** Resolves once the turn has written everything, a short wait for a trickle included. */
async function flushed(turn: Turn): Promise<void> {
  for (let i = 0; i < 1000 && !turn.idle; i++) await new Promise((resolve) => setTimeout(resolve, 1));
}

/** A socket whose kernel takes `room` bytes, then nothing until more room is given. */
class FakeSocket implements Writable {
  writes: string[] = [];
  buffers: Uint8Array[] = [];
  room = Infinity;
  shut = false;
  killed = false;
  /** Busy-waits this long per write, to stand for a slow syscall. */
  slowMs = 0;
  #onKilled?: () => void;
  readonly terminated = new Promise<void>((resolve) => (this.#onKilled = resolve));
  write(data: Uint8Array, byteOffset = 0, byteLength = data.length - byteOffset): number {
    if (this.shut || this.killed) return -1;
    for (const until = performance.now() + this.slowMs; performance.now() < until; );
    const n = Math.min(byteLength, this.room);
    this.room -= n;
    if (n > 0) {
      this.writes.push(dec(data.subarray(byteOffset, byteOffset + n)));
      this.buffers.push(data);
    }
    return n;
  }
  shutdown(): void {
    this.shut = true;
  }
  terminate(): void {
    this.killed = true;
    this.#onKilled!();
  }
  get text(): string {
    return this.writes.join("");
  }
}

function room(n: number, maxQueue = 1 << 20, now?: () => number, collect?: () => void) {
  const turn = new Turn(now, collect);
  const channel = new Channel(turn);
  const peers = Array.from({ length: n }, () => {
    const socket = new FakeSocket();
    const overflows = { count: 0 };
    const outbox = new Outbox(socket, turn, { maxQueue, onOverflow: () => overflows.count++, lingerMs: 50 });
    outbox.subscribe(channel);
    return { socket, outbox, overflows };
  });
  return { turn, channel, peers };
}

test("lines broadcast in one turn reach each outbox in one write, from the same bytes, in order", async () => {
  const { turn, channel, peers } = room(3);
  for (const line of ["a\n", "bb\n", "ccc\n"]) channel.append(enc(line));
  expect(peers[0]!.socket.writes).toEqual([]);
  await nextTurn();
  for (const { socket } of peers) expect(socket.writes).toEqual(["a\nbb\nccc\n"]);
  // The channel's own segment, not a copy in the turn's scratch buffer (which every outbox shares too).
  expect(peers[1]!.socket.buffers[0]).toBe(peers[0]!.socket.buffers[0]!);
  expect(peers[0]!.socket.buffers[0]).not.toBe(turn.scratch(1));
});

test("lines sent to one member alone keep their place among the broadcasts", async () => {
  const { channel, peers } = room(2);
  const [a, b] = peers;
  a!.outbox.send(enc("just for a\n")); // nothing waits for a: written at once
  expect(a!.socket.writes).toEqual(["just for a\n"]);
  channel.append(enc("x has arrived\n"));
  a!.outbox.send(enc("again for a\n")); // behind the broadcast: waits for the turn, with it
  b!.outbox.send(enc(`${"y".repeat(10_000)}\n`));
  channel.append(enc("x: hi\n"));
  expect(a!.socket.writes.length).toBe(1);
  expect(b!.socket.writes).toEqual([]);
  await nextTurn();
  expect(a!.socket.writes).toEqual(["just for a\n", "x has arrived\nagain for a\nx: hi\n"]);
  expect(b!.socket.writes).toEqual([`x has arrived\n${"y".repeat(10_000)}\nx: hi\n`]);
});

test("a line for an outbox with nothing waiting goes out from the caller's bytes; one that has to wait is a copy", async () => {
  const { peers } = room(1);
  const { socket, outbox } = peers[0]!;
  const reused = enc("welcome\n");
  outbox.send(reused);
  expect(socket.buffers).toEqual([reused]);
  expect(socket.buffers[0]).toBe(reused); // not copied
  socket.room = 3; // the kernel takes 3 bytes, then nothing
  outbox.send(reused);
  expect(socket.writes).toEqual(["welcome\n", "wel"]);
  reused.set(enc("XXXXXXXX")); // the caller reuses its buffer: what waits is a copy
  outbox.send(enc("next\n")); // behind what waits: not written until the kernel has room
  expect(socket.writes.length).toBe(2);
  socket.room = Infinity;
  outbox.drained();
  await nextTurn();
  expect(socket.text).toBe("welcome\nwelcome\nnext\n");
});

test("a newcomer gets what is broadcast after it subscribes; one who leaves keeps what came before", async () => {
  const { turn, channel, peers } = room(1);
  const stays = peers[0]!;
  const leaves = new FakeSocket();
  const leaving = new Outbox(leaves, turn, { maxQueue: 1 << 20, onOverflow: () => {} });
  leaving.subscribe(channel);
  channel.append(enc("one\n"));
  const comes = new FakeSocket();
  const coming = new Outbox(comes, turn, { maxQueue: 1 << 20, onOverflow: () => {} });
  coming.send(enc("welcome\n"));
  coming.subscribe(channel);
  channel.append(enc("two\n"));
  leaving.subscribe(undefined);
  channel.append(enc("three\n"));
  await nextTurn();
  expect(stays.socket.text).toBe("one\ntwo\nthree\n");
  expect(comes.text).toBe("welcome\ntwo\nthree\n");
  expect(leaves.text).toBe("one\ntwo\n");
});

test("members leaving one after another each keep what came before they left, written from the shared bytes", async () => {
  const { turn, channel, peers } = room(50);
  const said: string[] = [];
  peers[7]!.socket.room = 5; // one that reads slowly gets the rest on drain
  for (let i = 0; i < peers.length; i++) {
    const line = `p${i} has left\n`;
    said.push(line);
    channel.append(enc(line));
    peers[i]!.outbox.subscribe(undefined);
    peers[i]!.outbox.end();
  }
  await flushed(turn);
  for (let i = 0; i < peers.length; i++) {
    if (i === 7) continue;
    expect(peers[i]!.socket.text).toBe(said.slice(0, i + 1).join(""));
    expect(peers[i]!.socket.shut).toBe(true);
  }
  // Nothing was copied per member: every write came from the channel's one segment.
  const segment = peers[0]!.socket.buffers[0]!;
  expect(segment).not.toBe(turn.scratch(1));
  for (const { socket } of peers.filter((_, i) => i !== 7)) expect(socket.buffers.every((b) => b === segment)).toBe(true);
  const slow = peers[7]!;
  expect(slow.socket.text).toBe(said.slice(0, 8).join("").slice(0, 5));
  for (let i = 0; i < 100 && !slow.socket.shut; i++) {
    slow.socket.room = 7;
    slow.outbox.drained();
    await flushed(turn);
  }
  expect(slow.socket.text).toBe(said.slice(0, 8).join(""));
  expect(slow.socket.shut).toBe(true);
  expect(channel.readers.size + channel.leaving.size).toBe(0);
});

test("a reader the kernel takes little from catches up on drain, across turns and segments, losing nothing", async () => {
  const { channel, peers } = room(2, 4 << 20);
  const [slow, fast] = peers;
  slow!.socket.room = 5;
  let expected = "";
  for (let turn = 0; turn < 20; turn++) {
    for (let i = 0; i < 100; i++) {
      const line = `line ${turn}.${i} ${"p".repeat(i * 7)}\n`;
      expected += line;
      channel.append(enc(line));
      if (i === 50) slow!.outbox.send(enc(`private ${turn}\n`));
    }
    await nextTurn();
  }
  expect(expected.length).toBeGreaterThan(200_000); // several 64 KiB segments
  expect(fast!.socket.text).toBe(expected);
  for (let i = 0; i < 10_000 && slow!.outbox.queued > 0; i++) {
    slow!.socket.room = 1000 + (i % 7) * 3000;
    slow!.outbox.drained(); // written with the turn's other writes
    await nextTurn();
  }
  const privates = (turn: number) => `private ${turn}\n`;
  let withPrivates = "";
  for (let turn = 0, at = 0; turn < 20; turn++) {
    const cut = expected.indexOf(`line ${turn}.51 `, at);
    withPrivates += expected.slice(at, cut) + privates(turn);
    at = cut;
    if (turn === 19) withPrivates += expected.slice(cut);
  }
  expect(slow!.socket.text).toBe(withPrivates);
});

test("a reader past its cap is closed once and takes nothing more; the others go on", async () => {
  const { turn, channel, peers } = room(2, 100);
  const [stuck, other] = peers;
  stuck!.socket.room = 0;
  for (let i = 0; i < 20; i++) channel.append(enc(`line number ${i}\n`));
  await nextTurn();
  expect(stuck!.overflows.count).toBe(1);
  expect(stuck!.outbox.open).toBe(false);
  expect(stuck!.outbox.queued).toBe(0);
  channel.append(enc("later\n"));
  await flushed(turn);
  expect(other!.socket.text).toBe(`${Array.from({ length: 20 }, (_, i) => `line number ${i}\n`).join("")}later\n`);
  expect(stuck!.overflows.count).toBe(1);
});

test("however long writing takes, every reader gets every line in order, over as many turns as it needs", async () => {
  const { turn, channel, peers } = room(1500);
  for (const { socket } of peers) socket.slowMs = 0.02; // 30 ms a round: more than a turn may spend
  let expected = "";
  for (let turn = 0; turn < 5; turn++) {
    const line = `turn ${turn}\n`;
    expected += line;
    channel.append(enc(line));
    await nextTurn();
  }
  await flushed(turn);
  for (const { socket } of peers) expect(socket.text).toBe(expected);
  expect(Math.min(...peers.map(({ socket }) => socket.writes.length))).toBeLessThan(5); // the late ones got several lines in one write
});

test("a big send to an idle outbox is written at once; the caller may reuse what it sent", async () => {
  const { peers } = room(1);
  const [peer] = peers;
  const big = enc(`${"w".repeat(50_000)}\n`);
  peer!.outbox.send(big);
  expect(peer!.socket.text).toBe(dec(big));
  peer!.socket.room = 10;
  const reused = enc(`${"v".repeat(30_000)}\n`);
  peer!.outbox.send(reused);
  peer!.outbox.send(enc("small\n"));
  reused.fill(0x78); // "xxxx": too late to change what was sent
  peer!.socket.room = Infinity;
  peer!.outbox.drained();
  await nextTurn();
  expect(peer!.socket.text).toBe(`${dec(big)}${"v".repeat(30_000)}\nsmall\n`);
});

test("end() sends what is queued, then FIN; a peer that never reads is reset after the linger", async () => {
  const { channel, peers } = room(2);
  const [a, b] = peers;
  channel.append(enc("everyone\n"));
  a!.outbox.send(enc("bye\n"));
  a!.outbox.end();
  expect(a!.socket.text).toBe("everyone\nbye\n");
  expect(a!.socket.shut).toBe(true);
  b!.socket.room = 2;
  b!.outbox.send(enc("bye\n"));
  const ended = performance.now();
  b!.outbox.end();
  expect(b!.socket.shut).toBe(false);
  expect(b!.socket.killed).toBe(false);
  await b!.socket.terminated;
  expect(performance.now() - ended).toBeGreaterThanOrEqual(45); // the 50 ms linger, not at once
  expect(b!.socket.text).toBe("ev");
  expect(b!.outbox.queued).toBe(0);
});

test("a trickle of lines right after a flush waits a moment and goes out together", async () => {
  const { turn, channel, peers } = room(1, undefined, () => 1000); // a clock that stands still: every turn is right after the first flush
  channel.append(enc("first\n"));
  await nextTurn();
  channel.append(enc("second\n"));
  await nextTurn();
  channel.append(enc("third\n"));
  await flushed(turn);
  expect(peers[0]!.socket.writes).toEqual(["first\n", "second\nthird\n"]);
});

test("a batch of lines right after a flush goes out in the next turn, without waiting", async () => {
  const { channel, peers } = room(1);
  channel.append(enc("first\n"));
  await nextTurn();
  const batch = Array.from({ length: 10 }, (_, i) => `line ${i} of a batch from a busy sender\n`).join("");
  channel.append(enc(batch));
  await nextTurn();
  expect(peers[0]!.socket.writes).toEqual(["first\n", batch]);
});

test("while a crowd arrives, the room's lines wait for the hold to end, a newcomer's welcome does not, and nothing is lost", async () => {
  const { turn, channel, peers } = room(3);
  const socket = new FakeSocket();
  const newcomer = new Outbox(socket, turn, { maxQueue: 1 << 20, onOverflow: () => {} });
  turn.holdForCrowd();
  channel.append(enc("x has arrived\n"));
  newcomer.send(enc("You are x\n"));
  await nextTurn();
  await nextTurn();
  expect(socket.text).toBe("You are x\n");
  for (const peer of peers) expect(peer.socket.text).toBe("");
  newcomer.subscribe(channel);
  channel.append(enc("y has arrived\n"));
  turn.holdForCrowd(); // stretched a little: it still ends
  await flushed(turn);
  for (const peer of peers) expect(peer.socket.writes).toEqual(["x has arrived\ny has arrived\n"]);
  expect(socket.text).toBe("You are x\ny has arrived\n");
});

test("while the crowd keeps coming the hold is stretched, but a second after it began the room hears of it", async () => {
  let clock = 0;
  const { turn, channel, peers } = room(1, undefined, () => clock);
  const text = () => peers[0]!.socket.text;
  turn.holdForCrowd(); // until 100
  channel.append(enc("a\n"));
  await nextTurn();
  for (clock = 80; clock < 1000; clock += 80) {
    turn.holdForCrowd(); // still coming: 100 more, but never past 1000
    channel.append(enc("b\n"));
    await nextTurn();
    expect(text()).toBe("");
  }
  clock = 1000; // 1040 was asked for; the cap ends the hold here
  await flushed(turn);
  expect(text()).toBe(`a\n${"b\n".repeat(12)}`);
});

test("once the crowd stops, the hold ends 100 ms after the last newcomer", async () => {
  let clock = 0;
  const { turn, channel, peers } = room(1, undefined, () => clock);
  turn.holdForCrowd();
  channel.append(enc("a\n"));
  clock = 60;
  turn.holdForCrowd(); // until 160
  await nextTurn();
  clock = 150;
  await nextTurn();
  expect(peers[0]!.socket.text).toBe("");
  clock = 160;
  await flushed(turn);
  expect(peers[0]!.socket.text).toBe("a\n");
});

test("when a crowd has passed, its garbage is collected once before the news goes out, and not again within a second", async () => {
  let clock = 0;
  let collections = 0;
  const { turn, channel, peers } = room(1, undefined, () => clock, () => collections++);
  const hold = async (line: string, at: number) => {
    clock = at;
    turn.holdForCrowd();
    channel.append(enc(line));
    await nextTurn();
    expect(peers[0]!.socket.text).not.toEndWith(line); // held
    expect(collections).toBe(expected); // not while holding
    clock = at + 100;
    await flushed(turn);
  };
  let expected = 0;
  await hold("a\n", 10_000);
  expect(collections).toBe((expected = 1));
  await hold("b\n", 10_500);
  expect(collections).toBe(1);
  await hold("c\n", 11_200);
  expect(collections).toBe((expected = 2));
  expect(peers[0]!.socket.text).toBe("a\nb\nc\n");
});

test("a hold cut short by its cap while the crowd still comes collects nothing: the door is busy yet", async () => {
  let clock = 0;
  let collections = 0;
  const { turn, channel, peers } = room(1, undefined, () => clock, () => collections++);
  turn.holdForCrowd();
  channel.append(enc("a\n"));
  await nextTurn();
  for (clock = 80; clock < 1000; clock += 80) {
    turn.holdForCrowd(); // still coming when the cap ends the hold
    channel.append(enc("b\n"));
    await nextTurn();
    expect(peers[0]!.socket.text).toBe(""); // held
  }
  clock = 1000;
  await flushed(turn);
  expect(peers[0]!.socket.text).toBe(`a\n${"b\n".repeat(12)}`); // the news went out
  expect(collections).toBe(0);
  // The next hold, ended by a calm door, collects again.
  clock = 5000;
  turn.holdForCrowd();
  channel.append(enc("c\n"));
  await nextTurn();
  expect(peers[0]!.socket.text).not.toEndWith("c\n"); // held
  clock = 5100;
  await flushed(turn);
  expect(peers[0]!.socket.text).toEndWith("b\nc\n");
  expect(collections).toBe(1);
});

test("a hold that the turn's own writes outlasted ends at once, without a warning for a timer in the past", async () => {
  let clock = 50;
  const { turn, channel, peers } = room(1, undefined, () => clock);
  const slow = new FakeSocket();
  // A write that takes until 250, and only once the kernel has room.
  const socket: Writable = { write: (data, offset, length) => (slow.room > 0 && (clock = 250), slow.write(data, offset, length)), shutdown: () => {}, terminate: () => {} };
  const welcome = new Outbox(socket, turn, { maxQueue: 1 << 20, onOverflow: () => {} });
  slow.room = 0;
  welcome.send(enc("You are x\n")); // the kernel takes nothing: it waits for the turn
  expect(clock).toBe(50);
  const warnings: string[] = [];
  let sentinel: () => void;
  const allIn = new Promise<void>((resolve) => (sentinel = resolve));
  const warned = (warning: Error) => (warning.name === "Sentinel" ? sentinel() : warnings.push(`${warning.name}: ${warning.message}`));
  process.on("warning", warned);
  try {
    turn.holdForCrowd(); // until 150
    channel.append(enc("a\n"));
    slow.room = Infinity;
    welcome.drained(); // written in this turn, which the write makes last until 250
    await flushed(turn);
    expect(clock).toBe(250);
    expect(slow.text).toBe("You are x\n");
    expect(peers[0]!.socket.text).toBe("a\n");
    // Warnings come in the order they were emitted: once this one is in, any from the turn's timer is too.
    process.emitWarning("every warning before this one has come", "Sentinel");
    await allIn;
    expect(warnings).toEqual([]);
  } finally {
    process.off("warning", warned);
  }
});

test("a new hold waits until every reader has written what the last one kept back", async () => {
  const { turn, channel, peers } = room(2);
  turn.holdForCrowd();
  channel.append(enc("a\n"));
  await nextTurn();
  expect(peers[0]!.socket.text).toBe("");
  await flushed(turn);
  expect(peers[0]!.socket.text).toBe("a\n");
  turn.holdForCrowd();
  channel.append(enc("b\n"));
  await nextTurn();
  await nextTurn();
  expect(peers[1]!.socket.text).toBe("a\n");
  await flushed(turn);
  expect(peers[1]!.socket.text).toBe("a\nb\n");
});
