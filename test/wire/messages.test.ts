// messages.ts: the byte-built welcome says exactly what the rendered welcome event says.
import { expect, test } from "bun:test";
import { encodeWelcome, PRESENT_MAX, renderPlain, wordsFor, type Lang } from "../../core/wire/messages.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const crowd = (n: number) => Array.from({ length: n }, (_, i) => `p${String(i).padStart(5, "0")}`);

test.each([
  ["en", [], []],
  ["en", ["alice"], []],
  ["en", ["127.0.0.1:5000", "bob", "日本"], ["rules: be kind", "second line"]],
  ["zh", ["alice", "bob"], ["欢迎"]],
  ["zh", [], ["only the motd"]],
  ["en", crowd(60), []],
] as [Lang, string[], string[]][])("%s, present %j, motd %j", (lang, names, motd) => {
  const words = wordsFor(lang);
  const event = { type: "welcome", name: "newcomer", present: names.map((name) => ({ name })), motd, lang } as const;
  const expected = renderPlain(event, words).join("\n") + "\n";
  expect(dec(encodeWelcome(words, "newcomer", enc(names.slice(0, PRESENT_MAX).join(", ")), names.length, motd))).toBe(expected);
});

test.each([
  ["en", PRESENT_MAX, `Present: ${crowd(PRESENT_MAX).join(", ")}`],
  ["en", PRESENT_MAX + 1, `Present: ${crowd(PRESENT_MAX).join(", ")} and 1 more (${PRESENT_MAX + 1} in all; /who lists everyone)`],
  ["en", 5000, `Present: ${crowd(PRESENT_MAX).join(", ")} and ${5000 - PRESENT_MAX} more (5000 in all; /who lists everyone)`],
  ["zh", 5000, `在线: ${crowd(PRESENT_MAX).join(", ")} 等 5000 人 (/who 列出全部)`],
] as [Lang, number, string][])("%s, %d present: the first names and how many in all", (lang, n, line) => {
  const words = wordsFor(lang);
  const names = crowd(n);
  const event = { type: "welcome", name: "newcomer", present: names.map((name) => ({ name })), motd: [] as string[], lang } as const;
  expect(renderPlain(event, words)).toEqual([words.youAre("newcomer"), line]);
  expect(dec(encodeWelcome(words, "newcomer", enc(names.slice(0, PRESENT_MAX).join(", ")), n, []))).toBe(`${words.youAre("newcomer")}\n${line}\n`);
});
