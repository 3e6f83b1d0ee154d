// The page in a real browser, against the compiled binary: browser people and nc people in one room, text as text, reconnecting.
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import { closePeers, escape, join, unique } from "../helpers.ts";
import { launchBrowser, logLines, say, serveWeb, visit, welcomed } from "./browser.ts";

let browser: Browser;
beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  closePeers();
  for (const context of browser.contexts()) await context.close();
});

/** The tags of a test's lines, in the order a reader saw them. */
const order = (lines: string[], tags: string[]) => lines.flatMap((line) => tags.filter((tag) => line.includes(tag)));

test("two pages and an nc client in one room see each other's lines, in the same order", async () => {
  await using server = await serveWeb(["--rate", "0"]);
  const ann = await visit(browser, server.url);
  const ben = await visit(browser, server.url);
  const nc = await join(server.port);
  await ann.page.locator("#people li", { hasText: nc.name }).waitFor();
  const tags = Array.from({ length: 6 }, (_, i) => unique(`order${i}`));
  // Said from all three at once, so the server's order is the only order.
  await Promise.all([
    (async () => {
      await say(ann.page, tags[0]!);
      await say(ann.page, tags[3]!);
    })(),
    (async () => {
      await say(ben.page, tags[1]!);
      await say(ben.page, tags[4]!);
    })(),
    (async () => {
      nc.say(tags[2]!);
      nc.say(tags[5]!);
    })(),
  ]);
  for (const tag of tags) {
    await ann.page.locator("#log li.message", { hasText: tag }).waitFor();
    await ben.page.locator("#log li.message", { hasText: tag }).waitFor();
  }
  const any = new RegExp(`: (${tags.map(escape).join("|")})$`);
  for (const _ of tags) await nc.until(any);
  const seenByNc = order(nc.lines.all, tags);
  expect(seenByNc).toHaveLength(6);
  expect(order(await logLines(ann.page), tags)).toEqual(seenByNc);
  expect(order(await logLines(ben.page), tags)).toEqual(seenByNc);
  // Who said what, as nc reads it: the pages' names are theirs.
  expect(nc.lines.all).toContain(`${ann.name}: ${tags[0]}`);
  expect(nc.lines.all).toContain(`${ben.name}: ${tags[1]}`);
  expect(await ann.page.locator("#log li.message", { hasText: tags[2]! }).textContent()).toEndWith(`${nc.name}: ${tags[2]}`);
});

test("a line of HTML from nc is shown as text: no element is made, no script runs", async () => {
  await using server = await serveWeb();
  const ann = await visit(browser, server.url);
  const nc = await join(server.port);
  const attack = `<img src=x onerror="window.pwned=1"> ${unique("xss")}`;
  nc.say(attack);
  const line = ann.page.locator("#log li.message", { hasText: attack });
  await line.waitFor();
  expect(await line.textContent()).toEndWith(`${nc.name}: ${attack}`);
  expect(await ann.page.locator("#log img").count()).toBe(0);
  expect(await ann.page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
});
