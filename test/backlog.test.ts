// Backlog: bytes in, bytes out in the same order, however appends and partial writes interleave.
import { expect, test } from "bun:test";
import { Backlog } from "../core/backlog.ts";

test("appends and partial takes keep every byte in order, through compaction and growth", () => {
  const backlog = new Backlog();
  const expected: number[] = [];
  const taken: number[] = [];
  let next = 0;
  let seed = 7;
  const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
  for (let round = 0; round < 2000; round++) {
    const chunk = Uint8Array.from({ length: random(3000) }, () => next++ % 251);
    const from = random(chunk.length + 1);
    backlog.append(chunk, from);
    expected.push(...chunk.subarray(from));
    const take = random(backlog.length + 1);
    taken.push(...backlog.buffer.subarray(backlog.head, backlog.head + take));
    backlog.consume(take);
  }
  taken.push(...backlog.buffer.subarray(backlog.head, backlog.head + backlog.length));
  expect(taken).toEqual(expected);
});

test("an emptied backlog lets its buffer go", () => {
  const backlog = new Backlog();
  backlog.append(new Uint8Array(100_000));
  backlog.consume(100_000);
  expect(backlog.length).toBe(0);
  expect(backlog.buffer.length).toBe(0);
});
