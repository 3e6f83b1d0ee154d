// The page in a real browser, against the compiled binary: browser people and nc people in one room, text as text, reconnecting.
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import type { Socket } from "bun";
import type { Browser } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as joinPath } from "node:path";
import { closePeers, dial, escape, join, unique } from "../helpers.ts";
import { dialTls, makeCertificates } from "../secure.ts";
import { launchBrowser, logLines, say, serveWeb, visit, welcomed } from "./browser.ts";

/** The page's document, as the functions given to page.evaluate see it (they run in the browser). */
declare const document: {
  hidden: boolean;
  activeElement: { id: string; textContent: string | null } | null;
  documentElement: { lang: string };
  dispatchEvent(event: Event): boolean;
};
declare const location: { protocol: string };

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
  expect(await ann.page.evaluate(() => (globalThis as { pwned?: number }).pwned)).toBeUndefined();
});

test("killing and restarting the server: the page reconnects by itself, keeps the typed line and claims its name again", async () => {
  const first = await serveWeb();
  const ann = await visit(browser, first.url);
  const name = unique("ann");
  await say(ann.page, `/nick ${name}`);
  await ann.page.locator("#me", { hasText: name }).waitFor();
  await say(ann.page, "/join #dev");
  await ann.page.locator("#room", { hasText: /^#dev$/ }).waitFor();
  const typed = `half a thought ${unique("typed")}`;
  await ann.page.locator("#line").fill(typed);
  await first.kill("SIGKILL");
  await ann.page.locator("#status", { hasText: "reconnecting" }).waitFor();
  await using second = await serveWeb([], { webPort: first.webPort });
  await ann.page.locator("#log li.mark", { hasText: "reconnected" }).waitFor({ timeout: 20_000 });
  await ann.page.locator("#me", { hasText: name }).waitFor();
  expect(await ann.page.locator("#line").inputValue()).toBe(typed);
  // Back in the room it was in, too.
  expect(await ann.page.locator("#room").textContent()).toBe("#dev");
  const nc = await join(second.port);
  nc.say("/join #dev");
  await nc.until(/^\* you are now in #dev$/);
  await ann.page.locator("#line").press("Enter");
  await nc.until(new RegExp(`^${escape(name)}: ${escape(typed)}$`));
});

test("a name chosen once is remembered: a reload arrives under it", async () => {
  await using server = await serveWeb();
  const ann = await visit(browser, server.url);
  const name = unique("kept");
  await say(ann.page, `/nick ${name}`);
  await ann.page.locator("#me", { hasText: name }).waitFor();
  expect(await ann.page.evaluate(() => localStorage.getItem("chat.name"))).toBe(name);
  const nc = await join(server.port);
  await ann.page.reload();
  await nc.until(new RegExp(`^${escape(name)} has arrived$`));
  await ann.page.locator("#me", { hasText: name }).waitFor();
});

test("history on arrival is marked as history; links are links, and only http(s) ones", async () => {
  await using server = await serveWeb();
  const nc = await join(server.port);
  const old = unique("before");
  nc.say(`${old} see https://example.org/a?b=1. or javascript:alert(1)`);
  await nc.until(new RegExp(escape(old)));
  const ann = await visit(browser, server.url);
  const line = ann.page.locator("#log li.history", { hasText: old });
  await line.waitFor();
  expect(await ann.page.locator("#log li.mark").first().textContent()).toBe("earlier");
  const link = line.locator("a");
  expect(await link.count()).toBe(1);
  expect(await link.getAttribute("href")).toBe("https://example.org/a?b=1");
  expect(await link.getAttribute("rel")).toBe("noopener noreferrer");
  expect(await link.textContent()).toBe("https://example.org/a?b=1");
  const fresh = unique("after");
  nc.say(fresh);
  await ann.page.locator("#log li.message:not(.history)", { hasText: fresh }).waitFor();
});

test("while the tab is hidden, the title counts unread lines; seen again, it is clear", async () => {
  await using server = await serveWeb();
  const ann = await visit(browser, server.url);
  const nc = await join(server.port);
  const setHidden = (hidden: boolean) =>
    ann.page.evaluate((hidden) => {
      Object.defineProperty(document, "hidden", { configurable: true, get: () => hidden });
      document.dispatchEvent(new Event("visibilitychange"));
    }, hidden);
  await setHidden(true);
  nc.say(unique("one"));
  const last = unique("two");
  nc.say(last);
  await ann.page.locator("#log li.message", { hasText: last }).waitFor();
  expect(await ann.page.title()).toBe("(2) #main · chat");
  await setHidden(false);
  expect(await ann.page.title()).toBe("#main · chat");
});

test("from the keyboard: the line is focused on arrival, Enter sends, the arrow keys recall, commands work as on a terminal", async () => {
  await using server = await serveWeb();
  const ann = await visit(browser, server.url);
  expect(await ann.page.evaluate(() => document.activeElement?.id)).toBe("line");
  const text = unique("typed");
  await ann.page.keyboard.type(text);
  await ann.page.keyboard.press("Enter");
  await ann.page.locator("#log li.own", { hasText: text }).waitFor();
  await ann.page.keyboard.type("/help");
  await ann.page.keyboard.press("Enter");
  // /help's rows read as usage and summary, not as columns of spaces.
  await ann.page.locator("#log li.help code", { hasText: /^\/quit$/ }).waitFor();
  await ann.page.keyboard.type("/who");
  await ann.page.keyboard.press("Enter");
  await ann.page.locator("#log li.notice", { hasText: `* Present: ${ann.name}` }).waitFor();
  for (let i = 0; i < 3; i++) await ann.page.keyboard.press("ArrowUp");
  expect(await ann.page.locator("#line").inputValue()).toBe(text);
  await ann.page.keyboard.press("ArrowDown");
  expect(await ann.page.locator("#line").inputValue()).toBe("/help");
  // Tab reaches the send button: nothing needs a mouse.
  await ann.page.keyboard.press("Tab");
  expect(await ann.page.evaluate(() => document.activeElement?.textContent)).toBe("Send");
});

test("the compiled binary alone in an empty folder serves a page that works", async () => {
  const empty = mkdtempSync(joinPath(tmpdir(), "chat-empty-"));
  try {
    await using server = await serveWeb([], { cwd: empty });
    const ann = await visit(browser, server.url);
    const nc = await join(server.port);
    const text = unique("alone");
    await say(ann.page, text);
    await nc.until(new RegExp(`^${escape(ann.name)}: ${escape(text)}$`));
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test("with --tls-cert and --tls-key the page is https and its socket wss, beside TLS on the chat port", async () => {
  const certs = makeCertificates();
  try {
    await using server = await serveWeb(["--tls-cert", certs.cert, "--tls-key", certs.key]);
    expect(server.url).toStartWith("https://127.0.0.1:");
    // The test's own CA is not the browser's: the certificate is what this test made, so it is not checked.
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(server.url);
    const name = await welcomed(page);
    expect(await page.evaluate(() => location.protocol)).toBe("https:");
    const peer = await dialTls(server.port, certs.ca);
    await peer.lines.until(/^You are /);
    const text = unique("secure");
    await say(page, text);
    await peer.lines.until(new RegExp(`^${escape(name)}: ${escape(text)}$`));
    peer.close();
  } finally {
    certs.remove();
  }
});

test("/join from the page, clicked or typed: it moves rooms, shows the room's people and topic, and nc people in both rooms see it", async () => {
  await using server = await serveWeb();
  const stay = await join(server.port);
  const dev = await join(server.port);
  dev.say("/join #dev");
  await dev.until(/^\* you are now in #dev$/);
  const topic = unique("topic");
  dev.say(`/topic ${topic}`);
  await dev.until(new RegExp(`set the topic: ${escape(topic)}$`));
  const ann = await visit(browser, server.url);
  // The rooms list comes from /rooms: #dev is there to click, with its one person.
  const devButton = ann.page.locator("#rooms button", { hasText: "#dev" });
  await devButton.waitFor();
  expect(await devButton.textContent()).toBe("#dev1");
  await devButton.click();
  await ann.page.locator("#room", { hasText: /^#dev$/ }).waitFor();
  await dev.until(new RegExp(`^${escape(ann.name)} has arrived$`));
  await stay.until(new RegExp(`^${escape(ann.name)} went to #dev$`));
  expect(await ann.page.locator("#topic").textContent()).toBe(topic);
  await ann.page.locator("#people li", { hasText: dev.name }).waitFor();
  expect(await ann.page.locator("#people li", { hasText: stay.name }).count()).toBe(0);
  expect(await ann.page.title()).toBe("#dev · chat");
  // Said in #dev: dev hears it, stay (in #main) does not.
  const text = unique("in-dev");
  await say(ann.page, text);
  await dev.until(new RegExp(`^${escape(ann.name)}: ${escape(text)}$`));
  // Typed, as on a terminal.
  await say(ann.page, "/join #main");
  await ann.page.locator("#room", { hasText: /^#main$/ }).waitFor();
  await stay.until(new RegExp(`^${escape(ann.name)} has arrived$`));
  expect(stay.lines.all.filter((line) => line.includes(text))).toEqual([]);
  await dev.until(new RegExp(`^${escape(ann.name)} went to #main$`));
});

test("a room with a password: the page asks for it, hides it as it is typed, and answers with it again after a restart", async () => {
  const first = await serveWeb([], { env: { CHAT_PASSWORD: "sesame" } });
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(first.url);
  await page.locator("#log li.notice", { hasText: "this room has a password" }).waitFor();
  expect(await page.locator("#line").getAttribute("type")).toBe("password");
  await page.locator("#line").fill("wrong");
  await page.locator("#line").press("Enter");
  await page.locator("#log li.notice", { hasText: "wrong password" }).waitFor();
  await page.locator("#line[type=password]").fill("sesame");
  await page.locator("#line").press("Enter");
  await welcomed(page);
  expect(await page.locator("#line").getAttribute("type")).toBe("text");
  // Never in the conversation, never in the recalled lines.
  expect((await logLines(page)).filter((line) => line.includes("sesame"))).toEqual([]);
  await page.locator("#line").press("ArrowUp");
  expect(await page.locator("#line").inputValue()).toBe("");
  const asked = await page.locator("#log li.notice", { hasText: "this room has a password" }).count();
  await first.kill("SIGKILL");
  await using second = await serveWeb([], { env: { CHAT_PASSWORD: "sesame" }, webPort: first.webPort });
  // Back in without a word from the person: the password kept in memory answered the door.
  await page.locator("#log li.mark", { hasText: "reconnected" }).waitFor({ timeout: 20_000 });
  expect(await page.locator("#line").getAttribute("type")).toBe("text");
  expect(await page.locator("#log li.notice", { hasText: "this room has a password" }).count()).toBe(asked);
});

/** A TCP proxy in front of the page's port: the network between the browser and the server, which can be cut. */
function network(target: number) {
  interface Side {
    upstream?: Socket<undefined>;
    waiting: Uint8Array[];
  }
  const clients = new Set<Socket<Side>>();
  const listener = Bun.listen<Side>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(client) {
        client.data = { waiting: [] };
        clients.add(client);
        void Bun.connect({
          hostname: "127.0.0.1",
          port: target,
          socket: { data: (_s, bytes) => void client.write(bytes), close: () => client.terminate(), error: () => {} },
        }).then((upstream) => {
          client.data.upstream = upstream;
          for (const bytes of client.data.waiting) upstream.write(bytes);
        });
      },
      data: (client, bytes) => void (client.data.upstream ? client.data.upstream.write(bytes) : client.data.waiting.push(new Uint8Array(bytes))),
      close(client) {
        clients.delete(client);
        client.data.upstream?.terminate();
      },
      error: () => {},
    },
  });
  return {
    port: listener.port,
    /** Every connection through it reset at once, both ways, as a dropped network leaves them. */
    cut() {
      for (const client of clients) {
        client.data.upstream?.terminate();
        client.terminate();
      }
    },
    stop: () => listener.stop(true),
  };
}

test("the network drops: the page reconnects by itself, keeps the typed line and its name", async () => {
  await using server = await serveWeb();
  const net = network(server.webPort);
  try {
    const ann = await visit(browser, `http://127.0.0.1:${net.port}/`);
    const name = unique("dropped");
    await say(ann.page, `/nick ${name}`);
    await ann.page.locator("#me", { hasText: name }).waitFor();
    const typed = `still here ${unique("typed")}`;
    await ann.page.locator("#line").fill(typed);
    const nc = await join(server.port);
    net.cut();
    await nc.until(new RegExp(`^${escape(name)} has left$`));
    await nc.until(new RegExp(`^${escape(name)} has arrived$`), 20_000);
    await ann.page.locator("#log li.mark", { hasText: "reconnected" }).waitFor();
    expect(await ann.page.locator("#line").inputValue()).toBe(typed);
    await ann.page.locator("#line").press("Enter");
    await nc.until(new RegExp(`^${escape(name)}: ${escape(typed)}$`));
  } finally {
    net.stop();
  }
});

test("--lang zh: the page says what nc people read, in the room's language, names painted; its own words are Chinese too", async () => {
  await using server = await serveWeb(["--lang", "zh"]);
  // In the room's language from the first paint, before any welcome.
  expect(await (await fetch(server.url)).text()).toContain('<html lang="zh">');
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(server.url);
  const welcome = page.locator("#log li.system", { hasText: "欢迎 " }).last();
  await welcome.waitFor();
  const name = (await welcome.locator(".name").textContent())!;
  expect(await page.evaluate(() => document.documentElement.lang)).toBe("zh");
  expect(await page.locator("#side-toggle").textContent()).toBe("成员与房间");
  expect(await page.locator("#rooms-title").textContent()).toBe("房间");
  expect(await page.locator("#people-title").textContent()).toStartWith("成员 ");
  expect(await page.locator("#join-form button").textContent()).toBe("加入");
  expect(await page.locator("#say button[type=submit]").textContent()).toBe("发送");
  expect(await page.locator("#line").getAttribute("placeholder")).toBe("消息，或 /help");
  expect(await page.locator("#status").textContent()).toBe("已连接");
  await page.locator("#people li", { hasText: "（你）" }).waitFor();
  const nc = await dial(server.port);
  nc.name = (await nc.until(/^欢迎 (.+)$/))[1]!;
  const arrived = page.locator("#log li.system", { hasText: "上线" }).last();
  await arrived.waitFor();
  expect(await arrived.locator(".name").textContent()).toBe(nc.name);
  nc.say("/join #dev");
  await page.locator("#log li.system", { hasText: `${nc.name} 前往 #dev` }).waitFor();
  expect(name).toMatch(/^127\.0\.0\.1:\d+$/);
});
