// Lobby: the waiting are let in, in order, a slice per turn, once their greeting window is over; one that speaks or leaves first is let in at once.
import { expect, test } from "bun:test";
import { Lobby } from "../../core/server/lobby.ts";

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

test("everyone waiting is let in, in the order they came", async () => {
  const entered: number[] = [];
  const lobby = new Lobby<number>((n) => entered.push(n));
  for (let i = 0; i < 1000; i++) lobby.add(i);
  expect(entered).toEqual([]);
  for (let i = 0; i < 1000 && lobby.size > 0; i++) await nextTurn();
  expect(entered).toEqual([...Array(1000).keys()]);
});

test("letIn lets one in at once, and only once", async () => {
  const entered: string[] = [];
  const lobby = new Lobby<string>((who) => entered.push(who));
  lobby.add("a");
  lobby.add("b");
  lobby.letIn("b");
  lobby.letIn("b");
  lobby.letIn("never added");
  expect(entered).toEqual(["b"]);
  await nextTurn();
  expect(entered).toEqual(["b", "a"]);
});

test("while the room is busy nobody is let in; cleared, nobody is", async () => {
  const entered: string[] = [];
  let busy = true;
  const lobby = new Lobby<string>((who) => entered.push(who), () => busy);
  lobby.add("a");
  await nextTurn();
  await nextTurn();
  expect(entered).toEqual([]);
  busy = false;
  await nextTurn();
  expect(entered).toEqual(["a"]);
  lobby.add("b");
  lobby.clear();
  await nextTurn();
  expect(entered).toEqual(["a"]);
});

test("with a greeting window, nobody is let in before it ends, except by letIn; then in order", async () => {
  const entered: string[] = [];
  const lobby = new Lobby<string>((who) => entered.push(who), () => false, 10_000);
  lobby.add("a");
  lobby.add("b");
  for (let i = 0; i < 5; i++) await nextTurn();
  expect(entered).toEqual([]);
  lobby.letIn("b");
  expect(entered).toEqual(["b"]);
  lobby.clear();
  const short = new Lobby<string>((who) => entered.push(who), () => false, 20);
  short.add("c");
  short.add("d");
  const deadline = Date.now() + 5000;
  while (short.size > 0 && Date.now() < deadline) await Bun.sleep(5);
  expect(entered).toEqual(["b", "c", "d"]);
});

test("32 waiting at once is a crowd: the room is told; a few are not", async () => {
  let crowds = 0;
  const lobby = new Lobby<number>(() => {}, () => false, 0, () => crowds++);
  for (let i = 0; i < 31; i++) lobby.add(i);
  await nextTurn();
  expect(crowds).toBe(0);
  for (let i = 0; i < 32; i++) lobby.add(100 + i);
  await nextTurn();
  expect(crowds).toBe(1);
});
