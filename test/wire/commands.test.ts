// parseInput: what a line asks for.
import { expect, test } from "bun:test";
import { parseInput } from "../../core/wire/commands.ts";

test.each([
  ["hello", { kind: "say", text: "hello" }],
  ["//slash", { kind: "say", text: "/slash" }],
  ["/nick bob", { kind: "nick", name: "bob" }],
  ["/NICK bob", { kind: "nick", name: "bob" }],
  ["/nick", { kind: "usage", command: "nick", usage: "/nick NAME" }],
  ["/nick two words", { kind: "usage", command: "nick", usage: "/nick NAME" }],
  ["/who", { kind: "who" }],
  ["/msg bob hi there", { kind: "msg", to: "bob", text: "hi there" }],
  ["/msg bob", { kind: "usage", command: "msg", usage: "/msg NAME TEXT" }],
  ["/me waves", { kind: "me", text: "waves" }],
  ["/me", { kind: "usage", command: "me", usage: "/me TEXT" }],
  ["/away", { kind: "away", text: "" }],
  ["/away lunch", { kind: "away", text: "lunch" }],
  ["/back", { kind: "back" }],
  ["/help", { kind: "help" }],
  ["/quit", { kind: "quit" }],
  ["/mode json", { kind: "mode", mode: "json" }],
  ["/x", { kind: "unknown", command: "/x" }],
  ["/", { kind: "unknown", command: "/" }],
])("%p → %j", (line, input) => {
  expect(parseInput(line)).toEqual(input as never);
});
