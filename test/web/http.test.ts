// The web side without a browser: headers, the Origin check, the binary alone in a folder, and WebSocket members held to the same limits as TCP ones.
import { afterEach, expect, test } from "bun:test";
import type { Server } from "bun";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as joinPath } from "node:path";
import { closePeers, dial, escape, join, run, unique } from "../helpers.ts";
import { closeSockets, openSocket, serveWeb } from "./browser.ts";
import { pageLink } from "../../core/server/web.ts";

afterEach(() => {
  closePeers();
  closeSockets();
});

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

test("the page, its script and its style carry the CSP, nosniff and no-referrer, and a cache policy that suits each", async () => {
  await using server = await serveWeb();
  const page = await fetch(server.url);
  expect(page.status).toBe(200);
  expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
  expect(page.headers.get("content-security-policy")).toBe(CSP);
  expect(page.headers.get("x-content-type-options")).toBe("nosniff");
  expect(page.headers.get("referrer-policy")).toBe("no-referrer");
  expect(page.headers.get("cache-control")).toBe("no-cache");
  const html = await page.text();
  expect(html).toContain('<html lang="en">'); // the room's language, which the page's own words follow
  // No inline script: the only script is a file of the page's own.
  expect(html).not.toMatch(/<script(?![^>]*\ssrc=)/);
  const script = /<script type="module" src="(\/page\.[a-z0-9]+\.js)"><\/script>/.exec(html)?.[1];
  const style = /<link rel="stylesheet" href="(\/page\.[a-z0-9]+\.css)">/.exec(html)?.[1];
  expect(script).toBeDefined();
  expect(style).toBeDefined();
  for (const [path, type] of [
    [script!, "text/javascript; charset=utf-8"],
    [style!, "text/css; charset=utf-8"],
  ] as const) {
    const response = await fetch(new URL(path, server.url));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe(type);
    expect(response.headers.get("content-security-policy")).toBe(CSP);
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    // Named after their content: a new build has new names, so these may be kept.
    expect(response.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const etag = response.headers.get("etag")!;
    expect((await response.text()).length).toBeGreaterThan(100);
    expect((await fetch(new URL(path, server.url), { headers: { "if-none-match": etag } })).status).toBe(304);
  }
  const health = await fetch(new URL("/healthz", server.url));
  expect(health.status).toBe(200);
  expect(await health.text()).toBe("ok\n");
  expect(health.headers.get("cache-control")).toBe("no-store");
  const missing = await fetch(new URL("/nothing-here", server.url));
  expect(missing.status).toBe(404);
  expect(missing.headers.get("content-security-policy")).toBe(CSP);
  expect((await fetch(new URL("/", server.url), { method: "POST" })).status).toBe(405);
  // /ws is a WebSocket and nothing else.
  const plain = await fetch(new URL("/ws", server.url));
  expect(plain.status).toBe(426);
  expect(plain.headers.get("upgrade")).toBe("websocket");
});

test("the page's link in the log is one that works from here: a wildcard listener is shown on loopback", () => {
  const link = (url: string) => pageLink({ url: new URL(url) } as Server<unknown>);
  expect(link("http://0.0.0.0:8080/")).toBe("http://127.0.0.1:8080/");
  expect(link("https://[::]:8443/")).toBe("https://[::1]:8443/");
  expect(link("http://127.0.0.1:8080/")).toBe("http://127.0.0.1:8080/");
  expect(link("http://[::1]:8080/")).toBe("http://[::1]:8080/");
  expect(link("http://chat.example.org:8080/")).toBe("http://chat.example.org:8080/");
});

test("the compiled binary serves the page from an empty folder, with nothing beside it", async () => {
  const empty = mkdtempSync(joinPath(tmpdir(), "chat-empty-"));
  try {
    await using server = await serveWeb([], { cwd: empty });
    const html = await (await fetch(server.url)).text();
    const script = /src="(\/page\.[a-z0-9]+\.js)"/.exec(html)![1]!;
    const body = await (await fetch(new URL(script, server.url))).text();
    expect(body).toContain("/ws"); // the bundled page script, not an error page
    expect(body).not.toContain("import "); // one file: nothing left to load
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test("an upgrade from another origin is refused with 403; the page's own, none (not a browser) and --web-origin's are let in", async () => {
  await using server = await serveWeb(["--web-origin", "https://chat.example.org"]);
  const refused = await fetch(new URL("/ws", server.url), {
    headers: { origin: "http://evil.example", upgrade: "websocket", connection: "Upgrade", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version": "13" },
  });
  expect(refused.status).toBe(403);
  expect(refused.headers.get("content-security-policy")).toBe(CSP);
  const evil = openSocket(server.webPort, { origin: "http://evil.example" });
  await expect(evil.opened).rejects.toThrow();
  await evil.closed;
  for (const origin of [`http://127.0.0.1:${server.webPort}`, undefined, "https://chat.example.org"]) {
    const socket = openSocket(server.webPort, { origin });
    await socket.opened;
    const welcome = await socket.event(/"type":"welcome"/);
    expect(welcome.name).toMatch(/^127\.0\.0\.1:\d+$/);
    socket.close();
  }
});

test("a WebSocket member speaks JSON from its first line and meets nc people in the room", async () => {
  await using server = await serveWeb();
  const nc = await join(server.port);
  const web = openSocket(server.webPort);
  const welcome = await web.event(/"type":"welcome"/);
  expect(welcome.present).toEqual([{ name: nc.name }]);
  const webName = welcome.name as string;
  await nc.until(new RegExp(`^${escape(webName)} has arrived$`));
  const text = unique("from-web");
  web.say(text);
  await nc.until(new RegExp(`^${escape(webName)}: ${escape(text)}$`));
  const reply = unique("from-nc");
  nc.say(reply);
  expect(await web.event(new RegExp(escape(reply)))).toMatchObject({ type: "message", from: nc.name, text: reply });
  web.say("/nick webby");
  await nc.until(/is now known as webby$/);
  web.close();
  await nc.until(/^webby has left$/);
});

test("--max-per-ip counts WebSocket members with TCP ones: the next gets server is full and is closed", async () => {
  await using server = await serveWeb(["--max-per-ip", "2"]);
  await join(server.port);
  const first = openSocket(server.webPort);
  await first.event(/"type":"welcome"/);
  const second = openSocket(server.webPort);
  expect(await second.event(/"type":"notice"/)).toMatchObject({ type: "notice", text: "server is full" });
  await second.closed;
  const third = await dial(server.port); // the TCP side is full too
  await third.until(/^\* server is full$/);
  await third.closed;
});

test("--max-clients counts WebSocket members", async () => {
  await using server = await serveWeb(["--max-clients", "1"]);
  const first = openSocket(server.webPort);
  await first.event(/"type":"welcome"/);
  const nc = await dial(server.port);
  await nc.until(/^\* server is full$/);
});

test("the rate limit holds for WebSocket members: a burst past it is dropped with one slow down", async () => {
  await using server = await serveWeb(["--rate", "1", "--burst", "3"]);
  const nc = await join(server.port);
  const web = openSocket(server.webPort);
  const name = (await web.event(/"type":"welcome"/)).name as string;
  const tag = unique("burst");
  for (let i = 0; i < 10; i++) web.say(`${tag} ${i}`);
  expect(await web.event(/"type":"notice"/)).toMatchObject({ type: "notice", text: "slow down" });
  const end = unique("end");
  // Once a token is back, the end marker passes: everything before it has been judged.
  let passed = false;
  while (!passed) {
    web.say(end);
    passed = await nc.until(new RegExp(`^${escape(name)}: ${escape(end)}$`), 1500).then(
      () => true,
      () => false,
    );
  }
  const got = nc.lines.all.filter((l) => l.includes(tag));
  expect(got).toEqual([0, 1, 2].map((i) => `${name}: ${tag} ${i}`));
  expect(web.lines.all.filter((l) => l.includes('"slow down"'))).toHaveLength(1);
});

test("the room password is asked of WebSocket members too, in JSON", async () => {
  await using server = await serveWeb([], { env: { CHAT_PASSWORD: "sesame" } });
  const web = openSocket(server.webPort);
  expect(await web.event(/"type":"notice"/)).toMatchObject({ type: "notice", text: "password:" });
  web.say("wrong");
  expect(await web.event(/"type":"notice"/)).toMatchObject({ type: "notice", text: "wrong password" });
  await web.event(/"text":"password:"/);
  web.say("sesame");
  await web.event(/"type":"welcome"/);
});

test("a ban holds for WebSocket members: one from a banned address is told so and closed", async () => {
  const dir = mkdtempSync(joinPath(tmpdir(), "chat-bans-"));
  try {
    const state = joinPath(dir, "state.json");
    writeFileSync(state, JSON.stringify({ version: 1, bans: [{ range: "127.0.0.1/32", label: "web test" }] }));
    await using server = await serveWeb(["--state", state]);
    const web = openSocket(server.webPort);
    expect(await web.event(/"type":"notice"/)).toMatchObject({ type: "notice", text: "you are banned" });
    await web.closed;
    expect(web.lines.all.filter((line) => line.includes('"welcome"'))).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("--deny keeps WebSocket members out too", async () => {
  await using server = await serveWeb(["--deny", "127.0.0.1"]);
  const web = openSocket(server.webPort);
  await web.closed;
  expect(web.lines.all).toEqual([]);
});

test("--web-origin and --web-host need --web; a bad origin is a usage error", async () => {
  for (const [args, message] of [
    [["--web-origin", "https://a.example"], "--web-host and --web-origin need --web PORT"],
    [["--web", "0", "--web-origin", "a.example"], 'bad --web-origin: expected an origin such as https://chat.example.org or *, not "a.example"'],
    [["--web", "99999"], 'bad --web: port must be a number from 0 to 65535, not "99999"'],
  ] as const) {
    const proc = run(["serve", "--port", "0", ...args], { stdin: "ignore" });
    expect(await proc.exited).toBe(2);
    expect(proc.stderr.all.join("\n")).toContain(message);
  }
});

test("a WebSocket member that stops reading is dropped as too slow, and the others keep getting every line", async () => {
  await using server = await serveWeb(["--rate", "0", "--max-queue", "64k"]);
  const nc = await join(server.port);
  // A WebSocket opened by hand, so that it can stop reading: its frames pile up in the kernel, then in Bun, then in its outbox.
  let heard = "";
  let welcomed!: () => void;
  const welcome = new Promise<void>((resolve) => (welcomed = resolve));
  const slow = await Bun.connect({
    hostname: "127.0.0.1",
    port: server.webPort,
    socket: {
      data: (_s, bytes) => {
        heard += new TextDecoder("latin1").decode(bytes);
        if (/"type":"welcome"/.test(heard)) welcomed();
      },
      error: () => {},
    },
  });
  slow.write(
    `GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${server.webPort}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  await welcome;
  const slowName = /"name":"([^"]+)"/.exec(heard)![1]!;
  slow.pause();
  const tag = unique("flood");
  const pad = "p".repeat(1000);
  const left = new RegExp(`^${escape(slowName)} has left \\(too slow\\)$`);
  let sent = 0;
  // Up to 64 MB, far past the kernel's buffers, Bun's and the 64 KiB cap; it is dropped long before.
  while (!nc.lines.all.some((l) => left.test(l)) && sent < 64 * 1024) {
    await nc.sendAll(Array.from({ length: 256 }, (_, i) => `${tag} ${sent + i} ${pad}\n`).join(""));
    sent += 256;
    await nc.until(new RegExp(`: ${escape(tag)} ${sent - 1} `), 10_000);
  }
  expect(nc.lines.all.filter((l) => left.test(l))).toHaveLength(1);
  slow.terminate();
  // nc read everything it said, in order: the stuck member held nobody up.
  const numbers = nc.lines.all.filter((l) => l.includes(tag)).map((l) => Number(l.split(" ")[2]));
  expect(numbers).toEqual(Array.from({ length: sent }, (_, i) => i));
});

test("SIGTERM: a WebSocket member is told the server is shutting down and closed; the server exits 0", async () => {
  const server = await serveWeb();
  const web = openSocket(server.webPort);
  await web.event(/"type":"welcome"/);
  expect(await server.kill("SIGTERM")).toBe(0);
  expect(await web.event(/"type":"notice"/)).toMatchObject({ type: "notice", text: "server shutting down" });
  expect(await web.closed).toBe(1000);
});
