// Roster: always the same list a sort by name would give.
import { expect, test } from "bun:test";
import type { Presence } from "../core/events.ts";
import { Roster } from "../core/roster.ts";

test("adds, removals, renames and away marks keep the list sorted", () => {
  const roster = new Roster();
  const people = new Map<string, Presence>();
  const check = () => {
    const sorted = [...people.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    expect(roster.all).toEqual(sorted);
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
});

test("a list handed out earlier keeps the away mark it had", () => {
  const roster = new Roster();
  roster.add("bob");
  const before = roster.all[0];
  roster.setAway("bob", "out");
  expect(before).toEqual({ name: "bob" });
  expect(roster.all[0]).toEqual({ name: "bob", away: "out" });
});
