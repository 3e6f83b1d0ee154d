// messages.ts: the byte-built welcome says exactly what the rendered welcome event says.
import { expect, test } from "bun:test";
import { encodeWelcome, renderPlain, wordsFor, type Lang } from "../../core/wire/messages.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

test.each([
  ["en", [], []],
  ["en", ["alice"], []],
  ["en", ["127.0.0.1:5000", "bob", "日本"], ["rules: be kind", "second line"]],
  ["zh", ["alice", "bob"], ["欢迎"]],
  ["zh", [], ["only the motd"]],
] as [Lang, string[], string[]][])("%s, present %j, motd %j", (lang, names, motd) => {
  const words = wordsFor(lang);
  const event = { type: "welcome", name: "newcomer", present: names.map((name) => ({ name })), motd, lang } as const;
  const expected = renderPlain(event, words).join("\n") + "\n";
  expect(dec(encodeWelcome(words, "newcomer", enc(names.join(", ")), motd))).toBe(expected);
});
