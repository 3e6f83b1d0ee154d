// What the web tests share: a served room with its page, a real Chromium driven by playwright-core, and what a page shows.
import { existsSync } from "node:fs";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { Lines, serve, type Server } from "../helpers.ts";
import { CHROMIUM } from "../tools.ts";

/** Keeps the browser to the test's own server: no updates, no sync, no lookups, no reports. */
const OFFLINE = [
  "--no-sandbox",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-default-apps",
  "--disable-domain-reliability",
  "--disable-sync",
  "--disable-breakpad",
  "--metrics-recording-only",
  "--no-pings",
  "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication,CertificateTransparencyComponentUpdater",
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1, EXCLUDE [::1]",
];

/** No browser is a failure, never a skip: CI installs one, and a test that does not run proves nothing. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: install the Debian package chromium-headless-shell (apt-get install chromium-headless-shell)`);
  return chromium.launch({ executablePath: CHROMIUM, args: OFFLINE });
}

export interface WebServer extends Server {
  webPort: number;
  url: string;
}

/** `chat serve --web 0 ...args`, once it logs where the page is. */
export async function serveWeb(args: string[] = [], options: { env?: Record<string, string>; cwd?: string; webPort?: number } = {}): Promise<WebServer> {
  const server = await serve(["--web", String(options.webPort ?? 0), ...args], options.env, options.cwd);
  const [, url, port] = await server.stderr.until(/web page on (https?:\/\/[^/]+:(\d+)\/)$/);
  return { ...server, webPort: Number(port), url: url! };
}

export interface Visitor {
  context: BrowserContext;
  page: Page;
  /** The name the server gave the page. */
  name: string;
}

/** A new browser profile opening the page, once it is welcomed. */
export async function visit(
  browser: Browser,
  url: string,
  options: { width?: number; height?: number; dark?: boolean; name?: string } = {},
): Promise<Visitor> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1100, height: options.height ?? 720 },
    colorScheme: options.dark ? "dark" : "light",
  });
  // A returning visitor: the name remembered from before, already there when the page first runs.
  if (options.name) await context.addInitScript((name) => localStorage.setItem("chat.name", name), options.name);
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  await page.goto(url);
  const name = await welcomed(page);
  return { context, page, name };
}

/** Waits for a welcome on the page, and reads the name it gave. */
export async function welcomed(page: Page): Promise<string> {
  const line = page.locator("#log li.system", { hasText: /^(\d\d:\d\d)?You are / }).last();
  await line.waitFor();
  return (await line.locator(".name").textContent())!;
}

/** The text of every entry in the conversation, in order. */
export function logLines(page: Page): Promise<string[]> {
  return page.locator("#log li").evaluateAll((items) => items.map((li) => li.textContent ?? ""));
}

/** Types a line into the page and sends it, as a person would. */
export async function say(page: Page, text: string): Promise<void> {
  await page.locator("#line").fill(text);
  await page.locator("#line").press("Enter");
}

/** A WebSocket client that is not a browser (Bun's): JSON events in as lines, lines out. */
export interface SocketPeer {
  lines: Lines;
  /** Resolves once the socket is open; rejects if it closes first. */
  opened: Promise<void>;
  /** Resolves with the close code. */
  closed: Promise<number>;
  say(text: string): void;
  close(): void;
  /** The next event whose JSON matches re, parsed. */
  event(re: RegExp, ms?: number): Promise<Record<string, unknown>>;
}

export function openSocket(webPort: number, options: { origin?: string; host?: string } = {}): SocketPeer {
  const headers: Record<string, string> = options.origin ? { origin: options.origin } : {};
  const socket = new WebSocket(`ws://${options.host ?? "127.0.0.1"}:${webPort}/ws`, { headers } as unknown as string[]);
  socket.binaryType = "arraybuffer";
  const lines = new Lines();
  const opened = new Promise<void>((resolve, reject) => {
    socket.addEventListener("open", () => resolve());
    socket.addEventListener("close", () => reject(new Error("the socket closed before it opened")));
  });
  opened.catch(() => {});
  const closed = new Promise<number>((resolve) => socket.addEventListener("close", (e) => resolve(e.code)));
  socket.addEventListener("message", (e) => lines.push(typeof e.data === "string" ? new TextEncoder().encode(e.data) : new Uint8Array(e.data as ArrayBuffer)));
  socket.addEventListener("close", () => lines.end());
  sockets.add(socket);
  return {
    lines,
    opened,
    closed,
    say: (text) => socket.send(`${text}\n`),
    close: () => socket.close(),
    event: async (re, ms) => JSON.parse((await lines.until(re, ms)).input!),
  };
}

const sockets = new Set<WebSocket>();

/** Closes every socket a test opened. */
export function closeSockets(): void {
  for (const socket of sockets) socket.close();
  sockets.clear();
}
