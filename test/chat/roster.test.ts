// Roster: always the same list a sort by name would give.
import { expect, test } from "bun:test";
import type { Presence } from "../../core/wire/events.ts";
import { Roster } from "../../core/chat/roster.ts";

test("adds, removals, renames and away marks keep the list sorted", () => {
  const roster = new Roster();
  const people = new Map<string, Presence>();
  const check = () => {
    const sorted = [...people.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    expect(roster.all).toEqual(sorted);
    expect(new TextDecoder().decode(roster.joinedNames)).toBe(sorted.map((p) => p.name).join(", "));
    expect(roster.size).toBe(sorted.length);
    for (const n of [0, 1, 2, 3, sorted.length + 1]) expect(new TextDecoder().decode(roster.listed(n))).toBe(sorted.slice(0, n).map((p) => p.name).join(", "));
  };
  for (const name of ["mallory", "alice", "Bob", "127.0.0.1:5000", "127.0.0.1:40000", "日本", "zoë", "carol"]) {
    roster.add(name);
    people.set(name, { name });
    check();
  }
  roster.setAway("carol", "lunch");
  people.set("carol", { name: "carol", away: "lunch" });
  check();
  roster.rename("carol", "aaron");
  people.delete("carol");
  people.set("aaron", { name: "aaron", away: "lunch" });
  check();
  roster.setAway("aaron", undefined);
  people.set("aaron", { name: "aaron" });
  check();
  roster.remove("127.0.0.1:5000");
  people.delete("127.0.0.1:5000");
  roster.remove("nobody");
  check();
  for (const name of ["zoë", "aaron", "Bob"]) {
    roster.remove(name); // the last, the first, one between
    people.delete(name);
    check();
  }
  for (const name of [...people.keys()]) {
    roster.remove(name);
    people.delete(name);
    check();
  }
  roster.add("again");
  people.set("again", { name: "again" });
  check();
});

test("thousands of names in any order: still sorted and joined", () => {
  const roster = new Roster();
  const names = Array.from({ length: 3000 }, (_, i) => `127.0.0.1:${(i * 7919) % 60000}`);
  for (const name of names) roster.add(name);
  for (const name of names.filter((_, i) => i % 3 === 0)) roster.remove(name);
  const left = names.filter((_, i) => i % 3 !== 0).sort();
  expect(roster.all.map((p) => p.name)).toEqual(left);
  expect(new TextDecoder().decode(roster.joinedNames)).toBe(left.join(", "));
  expect(new TextDecoder().decode(roster.listed(50))).toBe(left.slice(0, 50).join(", "));
});

test("a list handed out earlier keeps the away mark it had", () => {
  const roster = new Roster();
  roster.add("bob");
  const before = roster.all[0];
  roster.setAway("bob", "out");
  expect(before).toEqual({ name: "bob" });
  expect(roster.all[0]).toEqual({ name: "bob", away: "out" });
});
