// Outboxes sharing a turn: one write per outbox per turn, every byte in order, the cap, and the goodbye.
import { expect, test } from "bun:test";
import { Outbox, type Writable } from "../core/outbox.ts";
import { Turn } from "../core/turn.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
/** Resolves after the turn's flush: setImmediate callbacks run in order. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A socket whose kernel takes `room` bytes, then nothing until more room is given. */
class FakeSocket implements Writable {
  writes: string[] = [];
  room = Infinity;
  shut = false;
  killed = false;
  #onKilled?: () => void;
  readonly terminated = new Promise<void>((resolve) => (this.#onKilled = resolve));
  write(data: Uint8Array, byteOffset = 0, byteLength = data.length - byteOffset): number {
    if (this.shut || this.killed) return -1;
    const n = Math.min(byteLength, this.room);
    this.room -= n;
    if (n > 0) this.writes.push(dec(data.subarray(byteOffset, byteOffset + n)));
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

function outboxes(n: number, turn = new Turn(), maxQueue = 1 << 20) {
  return Array.from({ length: n }, () => {
    const socket = new FakeSocket();
    const overflows = { count: 0 };
    const outbox = new Outbox(socket, turn, { maxQueue, onOverflow: () => overflows.count++, lingerMs: 50 });
    return { socket, outbox, overflows };
  });
}

test("lines broadcast in one turn reach each outbox in one write, in order", async () => {
  const peers = outboxes(3);
  const lines = ["a\n", "bb\n", "ccc\n"].map(enc);
  for (const line of lines) for (const { outbox } of peers) outbox.send(line);
  expect(peers[0]!.socket.writes).toEqual([]);
  await nextTurn();
  for (const { socket } of peers) expect(socket.writes).toEqual(["a\nbb\nccc\n"]);
});

test("private lines, a second form of a line and arrays too long to share keep each outbox's order", async () => {
  const [a, b] = outboxes(2);
  const plain = enc("x has arrived\n");
  const json = enc('{"type":"join","name":"x"}\n');
  const big = enc(`${"y".repeat(10_000)}\n`);
  a!.outbox.send(enc("just for a\n"));
  a!.outbox.send(plain);
  b!.outbox.send(json);
  b!.outbox.send(big);
  a!.outbox.send(enc("again for a\n"));
  b!.outbox.send(plain);
  a!.outbox.send(plain);
  await nextTurn();
  expect(a!.socket.text).toBe("just for a\nx has arrived\nagain for a\nx has arrived\n");
  expect(b!.socket.text).toBe(`${dec(json)}${dec(big)}x has arrived\n`);
  expect(a!.socket.writes.length).toBe(1);
  expect(b!.socket.writes.length).toBe(1);
});

test("what the kernel does not take waits for drain, across turns, and nothing is lost or reordered", async () => {
  const [slow, fast] = outboxes(2);
  slow!.socket.room = 5;
  let expected = "";
  for (let turn = 0; turn < 5; turn++) {
    for (let i = 0; i < 10; i++) {
      const line = enc(`line ${turn}.${i}\n`);
      expected += dec(line);
      slow!.outbox.send(line);
      fast!.outbox.send(line);
    }
    await nextTurn();
  }
  expect(fast!.socket.text).toBe(expected);
  expect(slow!.socket.text).toBe(expected.slice(0, 5));
  expect(slow!.outbox.queued).toBe(expected.length - 5);
  for (let i = 0; i < 100 && slow!.outbox.queued > 0; i++) {
    slow!.socket.room = 17;
    slow!.outbox.drained();
  }
  expect(slow!.socket.text).toBe(expected);
});

test("an outbox past its cap is closed once and takes nothing more; the others go on", async () => {
  const [stuck, other] = outboxes(2, new Turn(), 100);
  stuck!.socket.room = 0;
  for (let i = 0; i < 20; i++) {
    const line = enc(`line number ${i}\n`);
    stuck!.outbox.send(line);
    other!.outbox.send(line);
  }
  await nextTurn();
  expect(stuck!.overflows.count).toBe(1);
  expect(stuck!.outbox.open).toBe(false);
  expect(stuck!.outbox.queued).toBe(0);
  expect(other!.socket.text.split("\n").length).toBe(21);
});

test("end() sends what is queued, then FIN; a peer that never reads is reset after the linger", async () => {
  const [a, b] = outboxes(2);
  a!.outbox.send(enc("bye\n"));
  a!.outbox.end();
  expect(a!.socket.text).toBe("bye\n");
  expect(a!.socket.shut).toBe(true);
  b!.socket.room = 2;
  b!.outbox.send(enc("bye\n"));
  b!.outbox.end();
  expect(b!.socket.shut).toBe(false);
  await b!.socket.terminated; // after the 50 ms linger
  expect(b!.socket.text).toBe("by");
});
