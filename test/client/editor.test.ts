// The terminal client's line editor and rendering, without a terminal.
import { expect, test } from "bun:test";
import { displayWidth, LineEditor } from "../../core/client/editor.ts";
import { wordsFor } from "../../core/wire/messages.ts";
import { formatEvent } from "../../core/client/render.ts";
import { colorOf } from "../../core/wire/palette.ts";

function typed(...inputs: string[]) {
  const editor = new LineEditor();
  const actions = inputs.flatMap((i) => editor.feed(i));
  return { editor, actions };
}

test("typing, moving and deleting", () => {
  expect(typed("hello").editor.text).toBe("hello");
  expect(typed("helo", "\x1b[D", "l").editor.text).toBe("hello");
  expect(typed("hello", "\x7f\x7f").editor.text).toBe("hel");
  expect(typed("hello", "\x01", "\x1b[3~").editor.text).toBe("ello");
  expect(typed("two words", "\x17").editor.text).toBe("two ");
  expect(typed("abc", "\x15").editor.text).toBe("");
  expect(typed("日本語", "\x1b[D\x7f").editor.text).toBe("日語");
});

test("Enter submits and clears; empty Ctrl-D is eof; Ctrl-C interrupts", () => {
  const { editor, actions } = typed("hi\r");
  expect(actions.at(-1)).toEqual({ kind: "submit", line: "hi" });
  expect(editor.text).toBe("");
  expect(typed("\x04").actions).toEqual([{ kind: "eof" }]);
  expect(typed("x\x04").actions.some((a) => a.kind === "eof")).toBe(false);
  expect(typed("x\x03").actions.at(-1)).toEqual({ kind: "interrupt" });
});

test("an escape sequence cut between reads is put together", () => {
  expect(typed("ab", "\x1b", "[", "D", "X").editor.text).toBe("aXb");
});

test("a pasted block submits each line", () => {
  const { actions } = typed("one\rtwo\rthree");
  expect(actions.filter((a) => a.kind === "submit")).toEqual([
    { kind: "submit", line: "one" },
    { kind: "submit", line: "two" },
  ]);
});

test("up and down go through what was sent", () => {
  const { editor } = typed("first\r", "second\r", "\x1b[A", "\x1b[A");
  expect(editor.text).toBe("first");
  editor.feed("\x1b[B");
  expect(editor.text).toBe("second");
});

test("the cursor moves and deletes by grapheme cluster, one typed in parts included", () => {
  const family = "👨‍👩‍👧";
  expect(typed(`x${family}y`, "\x1b[D\x1b[D", "Z").editor.text).toBe(`xZ${family}y`);
  expect(typed("ab🇨🇳", "\x7f").editor.text).toBe("ab");
  expect(typed("ab", "🇨", "🇳", "\x7f").editor.text).toBe("ab"); // the second half joins the first into one flag
  expect(typed("e\u0301x", "\x1b[D\x1b[D\x1b[3~").editor.text).toBe("x");
  expect(typed(`a${family}`).editor.cursor).toBe(2);
});

test("↓ past the newest line brings back the draft", () => {
  const { editor } = typed("first\r", "draft", "\x1b[A");
  expect(editor.text).toBe("first");
  editor.feed("\x1b[B");
  expect(editor.text).toBe("draft");
});

test("wide characters take two columns", () => {
  expect(displayWidth("👨‍👩‍👧🇨🇳")).toBe(4);
  expect(displayWidth("e\u0301")).toBe(1);
  expect(displayWidth("abc")).toBe(3);
  expect(displayWidth("日本")).toBe(4);
  expect(displayWidth("🙂")).toBe(2);
});

test("a name always gets the same colour", () => {
  expect(colorOf("alice")).toBe(96); // in every session: a hash of the name, not a lookup in this process
  const colours = new Set(["alice", "bob", "carol", "dave", "eve", "frank"].map(colorOf));
  expect(colours.size).toBeGreaterThan(1);
});

test("our own lines are marked, others' are not; no colour means no escapes", () => {
  const look = { self: "me", color: false, timestamps: false, words: wordsFor("en") };
  expect(formatEvent({ type: "message", from: "me", text: "hi", ts: 0 }, look)).toEqual(["» me: hi"]);
  expect(formatEvent({ type: "message", from: "bob", text: "hi", ts: 0 }, look)).toEqual(["bob: hi"]);
  expect(formatEvent({ type: "leave", name: "bob", reason: "idle", ts: 0 }, look)).toEqual(["bob has left (idle)"]);
});
