// The hub with fake members: who gets which line.
import { expect, test } from "bun:test";
import { parseInput } from "../../core/wire/commands.ts";
import { Hub } from "../../core/chat/hub.ts";
import type { Member } from "../../core/chat/member.ts";
import { wordsFor } from "../../core/wire/messages.ts";

class Fake implements Member {
  readonly lines: string[] = [];
  sends = 0;
  closed = false;
  constructor(readonly address: string) {}
  send(bytes: Uint8Array): void {
    this.sends++;
    this.lines.push(...new TextDecoder().decode(bytes).split("\n").slice(0, -1));
  }
  close(): void {
    this.closed = true;
  }
}

const T0 = Date.UTC(2026, 0, 2, 3, 4);
function room(options: Partial<ConstructorParameters<typeof Hub>[0]> = {}) {
  return new Hub({ words: wordsFor("en"), now: () => T0, ...options });
}

test("join, say, leave: the seed's four events", () => {
  const hub = room();
  const a = new Fake("1.1.1.1:1");
  const b = new Fake("2.2.2.2:2");
  hub.join(a);
  hub.join(b);
  hub.handle(b, parseInput("hi"));
  hub.leave(b);
  expect(a.lines).toEqual(["You are 1.1.1.1:1", "2.2.2.2:2 has arrived", "2.2.2.2:2: hi", "2.2.2.2:2 has left"]);
  expect(b.lines).toEqual(["You are 2.2.2.2:2", "Present: 1.1.1.1:1", "2.2.2.2:2: hi"]);
});

test("leave is announced once, with its reason", () => {
  const hub = room();
  const a = new Fake("a:1");
  const b = new Fake("b:1");
  hub.join(a);
  hub.join(b);
  hub.leave(b, "too slow");
  hub.leave(b);
  expect(a.lines.filter((l) => l.includes("has left"))).toEqual(["b:1 has left (too slow)"]);
});

test("/msg reaches only the two people concerned", () => {
  const hub = room();
  const [a, b, c] = [new Fake("a:1"), new Fake("b:1"), new Fake("c:1")];
  for (const m of [a, b, c]) hub.join(m);
  hub.handle(a, parseInput("/nick alice"));
  hub.handle(b, parseInput("/nick bob"));
  hub.handle(a, parseInput("/msg BOB secret"));
  expect(a.lines.at(-1)).toBe("* alice -> bob: secret");
  expect(b.lines.at(-1)).toBe("* alice -> bob: secret");
  expect(c.lines.some((l) => l.includes("secret"))).toBe(false);
});

test("history replays chat lines, oldest first, marked with their time; never private lines", () => {
  const hub = room({ history: 2 });
  const a = new Fake("a:1");
  hub.join(a);
  hub.handle(a, parseInput("one"));
  hub.handle(a, parseInput("/me two"));
  hub.handle(a, parseInput("/msg a:1 private"));
  hub.handle(a, parseInput("three"));
  const late = new Fake("late:1");
  hub.join(late);
  expect(late.lines).toEqual(["You are late:1", "Present: a:1", "[03:04] * a:1 two", "[03:04] a:1: three"]);
  expect(late.sends).toBe(1); // the history comes with the welcome: one write, nothing between them
  const json = new Fake("json:1");
  hub.join(json, { json: true });
  expect(json.lines.map((line) => JSON.parse(line).type)).toEqual(["welcome", "history"]);
  expect(json.sends).toBe(1);
});

test("/nick refuses taken names regardless of case, and invalid ones", () => {
  const hub = room();
  const [a, b] = [new Fake("a:1"), new Fake("b:1")];
  hub.join(a);
  hub.join(b);
  hub.handle(a, parseInput("/nick Alice"));
  hub.handle(b, parseInput("/nick alice"));
  hub.handle(b, parseInput(`/nick ${"x".repeat(33)}`));
  expect(b.lines.slice(-2)).toEqual([
    "* name alice is taken",
    `* cannot use the name "${"x".repeat(33)}": a name has at most 32 characters`,
  ]);
  hub.handle(a, parseInput("/nick ALICE")); // a change of case of one's own name is fine
  expect(b.lines.at(-1)).toBe("Alice is now known as ALICE");
});

test("--anonymous names are guest-N, skipping names in use", () => {
  const hub = room({ anonymous: true });
  const a = new Fake("a:1");
  hub.join(a);
  hub.handle(a, parseInput("/nick guest-2"));
  const b = new Fake("b:1");
  hub.join(b);
  expect(b.lines[0]).toBe("You are guest-3");
});

test("JSON mode: events as objects, the welcome repeated with who is present", () => {
  const hub = room();
  const [a, b] = [new Fake("a:1"), new Fake("b:1")];
  hub.join(a);
  hub.join(b);
  hub.handle(b, parseInput("/mode json"));
  hub.handle(a, parseInput("hello"));
  const events = b.lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
  expect(events).toEqual([
    { type: "welcome", name: "b:1", present: [{ name: "a:1" }], motd: [], lang: "en", room: "#main", ts: T0 },
    { type: "message", from: "a:1", text: "hello", room: "#main", ts: T0 },
  ]);
  expect(a.lines.at(-1)).toBe("a:1: hello"); // the others stay plain
});
