// The client's copy of the server's flood limit, without a server.
import { expect, test } from "bun:test";
import { Throttle } from "../../core/client/throttle.ts";

const lines = (n: number, text = "x") => new TextEncoder().encode(`${text}\n`.repeat(n));

test("unknown limits or none: everything goes at once", async () => {
  const throttle = new Throttle();
  expect(throttle.available()).toBe(Infinity);
  expect((await throttle.cut(lines(1000), false)).length).toBe(2000);
  throttle.setLimits(0, 50);
  expect(throttle.limited).toBe(false);
});

test("a burst keeps some tokens back for lines bunched up on the way, and counts the lines sent before the limits were known", () => {
  const throttle = new Throttle();
  throttle.take(2); // the opening lines
  throttle.setLimits(5, 50);
  expect(throttle.available()).toBe(50 - 3 - 2); // 3: half a second at 5 a second
  const tiny = new Throttle();
  tiny.setLimits(100, 1);
  expect(tiny.available()).toBe(1); // never below one line
});

test("cut gives the lines that may go now, blank ones free", async () => {
  const throttle = new Throttle();
  throttle.setLimits(1, 4); // 3 at once (one kept back)
  const input = new TextEncoder().encode("a\n\n  \nb\nc\nd\ne\n");
  const part = await throttle.cut(input, false);
  expect(new TextDecoder().decode(part)).toBe("a\n\n  \nb\nc\n");
  expect(throttle.available()).toBe(0);
});

test("a line continued from an earlier piece counts even if this part of it is blank", async () => {
  const throttle = new Throttle();
  throttle.setLimits(1, 3); // 2 at once
  const part = await throttle.cut(new TextEncoder().encode("  \nx\ny\n"), true);
  expect(new TextDecoder().decode(part)).toBe("  \nx\n");
});
