// What text and names may contain.
import { expect, test } from "bun:test";
import { cleanText, isBlank, nameKey, nameProblem } from "../../core/wire/sanitize.ts";

test.each([
  ["plain text", "plain text"],
  ["tab\tkept", "tab\tkept"],
  ["\x1b[31mred\x1b[0m", "red"],
  ["\x1b[2J\x1b[Hclear", "clear"],
  ["\x1b]0;title\x07after", "after"],
  ["\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\", "link"],
  ["\x1bPdcs\x1b\\x", "x"],
  ["a\x1b(Bb", "ab"],
  ["\x9b31mc1csi", "c1csi"],
  ["nul\x00bell\x07del\x7f", "nulbelldel"],
  ["c1\x85\x90\x9f", "c1"],
  ["\u202eevil\u202c", "evil"],
  ["\u2066iso\u2069", "iso"],
  ["lone esc \x1b", "lone esc "],
  ["日本語 🙂 é", "日本語 🙂 é"],
  ["\ufffd stays", "\ufffd stays"],
])("cleanText(%j) = %j", (input, output) => {
  expect(cleanText(input)).toBe(output);
});

test.each(["alice", "Bob_2", "a.b-c", "Zoë", "日本語", "x".repeat(32), "ａｌｉｃｅ"])("%p is a valid name", (name) => {
  expect(nameProblem(name)).toBeUndefined();
});

test.each([
  ["", "a name needs at least one character"],
  ["x".repeat(33), "a name has at most 32 characters"],
  ["two words", "a name may hold only letters, digits, _, - and ."],
  ["semi;colon", "a name may hold only letters, digits, _, - and ."],
  ["127.0.0.1:5", "a name may hold only letters, digits, _, - and ."],
])("%p is refused: %s", (name, why) => {
  expect(nameProblem(name)).toBe(why);
});

test("names are one name whatever their case or width", () => {
  expect(nameKey("Alice")).toBe(nameKey("alice"));
  expect(nameKey("ａｌｉｃｅ")).toBe(nameKey("ALICE"));
  expect(nameKey("Straße")).toBe(nameKey("STRASSE"));
  expect(nameKey("bob")).not.toBe(nameKey("alice"));
});

test.each([
  ["", true],
  ["   \t ", true],
  ["\u00a0\u2003", true],
  ["a", false],
  [" a", false],
  ["\u00a0x", false],
  ["日本", false],
])("isBlank(%j) = %j", (text, blank) => {
  expect(isBlank(text)).toBe(blank);
});
