// The client on a real terminal (tmux): the line being typed survives incoming messages, and the terminal is restored.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { colorOf } from "../../core/wire/palette.ts";
import { CHAT, closePeers, dial, escape, join, ncatChat, serve, unique, type Server } from "../helpers.ts";

/** A tmux server of our own, with one bash window of 100×30. */
class Tmux {
  readonly #socket = `chat-test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

  async start(env: Record<string, string> = {}): Promise<void> {
    const vars = Object.entries({ PS1: "$ ", ...env }).map(([k, v]) => `${k}=${v}`);
    this.#tmux("new-session", "-d", "-s", "main", "-x", "100", "-y", "30", "env", ...vars, "bash", "--norc", "--noprofile");
    await this.untilScreen(/^\$ ?$/m);
  }

  #tmux(...args: string[]): string {
    const result = Bun.spawnSync(["tmux", "-L", this.#socket, ...args], { stdout: "pipe", stderr: "pipe" });
    if (result.exitCode !== 0) throw new Error(`tmux ${args.join(" ")}: ${result.stderr.toString()}`);
    return result.stdout.toString();
  }

  /** Types text as is (no key names). */
  type(text: string): void {
    this.#tmux("send-keys", "-t", "main", "-l", text);
  }

  /** Presses keys by name: Enter, C-c, C-d. */
  press(...keys: string[]): void {
    this.#tmux("send-keys", "-t", "main", ...keys);
  }

  /** The screen as text; with colours as escape sequences if asked. */
  screen(colors = false): string {
    return this.#tmux("capture-pane", "-p", "-t", "main", ...(colors ? ["-e"] : []));
  }

  /** Everything the terminal showed, scrolled off or not: a notice may have scrolled away by the time it is checked. */
  scrollback(): string {
    return this.#tmux("capture-pane", "-p", "-S", "-", "-t", "main");
  }

  /** The row the cursor is on. */
  cursorLine(): string {
    const [, row] = /^(\d+)/.exec(this.#tmux("display-message", "-p", "-t", "main", "#{cursor_y}"))!;
    return this.screen().split("\n")[Number(row)] ?? "";
  }

  /** Waits until the cursor is in this column: capture-pane trims trailing blanks, so only the cursor shows them. */
  async untilCursorColumn(column: number, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      const [, at] = /^(\d+)/.exec(this.#tmux("display-message", "-p", "-t", "main", "#{cursor_x}"))!;
      if (Number(at) === column) return;
      if (Date.now() > deadline) throw new Error(`the cursor stayed in column ${at}, not ${column}:\n${this.screen()}`);
      await Bun.sleep(30);
    }
  }

  /** Waits until the screen matches, with a deadline: a terminal has no lines to wait for, only states. */
  async untilScreen(re: RegExp, ms = 5000, colors = false): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const screen = this.screen(colors);
      if (re.test(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`screen never matched ${re}:\n${screen}`);
      await Bun.sleep(30);
    }
  }

  resize(columns: number): void {
    this.#tmux("resize-window", "-t", "main", "-x", String(columns));
  }

  /** The cursor's column. */
  cursorColumn(): number {
    return Number(/^(\d+)/.exec(this.#tmux("display-message", "-p", "-t", "main", "#{cursor_x}"))![1]);
  }

  stop(): void {
    Bun.spawnSync(["tmux", "-L", this.#socket, "kill-server"], { stdout: "ignore", stderr: "ignore" });
  }
}

let server: Server;
let tmux: Tmux;
beforeAll(async () => void (server = await serve(["--rate", "0"])));
afterAll(() => server.kill());
afterEach(() => {
  tmux?.stop();
  closePeers();
});

async function startClient(name: string, flags = "", env: Record<string, string> = { NO_COLOR: "1" }, port = server.port): Promise<void> {
  tmux = new Tmux();
  await tmux.start(env);
  tmux.type(`${CHAT} connect 127.0.0.1:${port} --name ${name} ${flags}`);
  tmux.press("Enter");
  await tmux.untilScreen(new RegExp(`^#\\S+ ${name}> ?$`, "m")); // the room, then the name; capture-pane trims trailing blanks
}

test("a half-typed line survives an incoming message, then is sent whole", async () => {
  const name = unique("tty").slice(0, 20).replace(/-/g, "_");
  await startClient(name);
  const peer = await join(server.port);
  tmux.type("half typed");
  await tmux.untilScreen(new RegExp(`^#main ${name}> half typed$`, "m"));
  const incoming = unique("incoming");
  peer.say(incoming);
  await tmux.untilScreen(new RegExp(`${escape(peer.name)}: ${incoming}\\n#main ${name}> half typed$`, "m"));
  expect(tmux.cursorLine()).toBe(`#main ${name}> half typed`);
  tmux.type(" and finished");
  tmux.press("Enter");
  await peer.until(new RegExp(`^${name}: half typed and finished$`));
  await tmux.untilScreen(new RegExp(`^» ${name}: half typed and finished\\n#main ${name}> ?$`, "m"));
});

test("Enter on a line of blanks clears it from the prompt", async () => {
  const name = unique("blank").slice(0, 20).replace(/-/g, "_");
  await startClient(name);
  const prompt = `#main ${name}> `.length;
  tmux.type("   ");
  await tmux.untilCursorColumn(prompt + 3);
  tmux.press("Enter");
  await tmux.untilCursorColumn(prompt);
  expect(tmux.cursorLine()).toBe(`#main ${name}>`);
});

test("Ctrl-C leaves cleanly, exits 0 and restores the terminal", async () => {
  const name = unique("ctrlc").slice(0, 20).replace(/-/g, "_");
  const peer = await join(server.port);
  await startClient(name);
  tmux.type("unsent text");
  tmux.press("C-c");
  await peer.until(new RegExp(`^${name} has left$`));
  await tmux.untilScreen(/^\$ ?$/m);
  tmux.type('echo "exit=$?"; stty -a | tr " " "\\n" | grep -x -e "-\\?icanon" -e "-\\?echo"');
  tmux.press("Enter");
  const screen = await tmux.untilScreen(/^exit=\d+\n(-?icanon|-?echo)\n(-?icanon|-?echo)$/m);
  expect(screen).toMatch(/^exit=0$/m);
  expect(screen).toMatch(/^icanon$/m);
  expect(screen).toMatch(/^echo$/m);
  expect(peer.lines.all.some((l) => l.includes("unsent text"))).toBe(false);
});

test("Ctrl-D on an empty line and /quit leave too", async () => {
  const peer = await join(server.port);
  for (const leave of [() => tmux.press("C-d"), () => (tmux.type("/quit"), tmux.press("Enter"))]) {
    const name = unique("bye").slice(0, 20).replace(/-/g, "_");
    await startClient(name);
    leave();
    await peer.until(new RegExp(`^${name} has left$`));
    await tmux.untilScreen(/^\$ ?$/m);
    tmux.stop();
  }
});

test("--timestamps shows the time of each line, as history lines show theirs: [HH:MM]", async () => {
  const name = unique("ts").slice(0, 20).replace(/-/g, "_");
  const peer = await join(server.port);
  const before = unique("replayed");
  peer.say(before);
  await peer.until(new RegExp(`: ${before}$`));
  await startClient(name, "--timestamps");
  await tmux.untilScreen(new RegExp(`^\\[\\d\\d:\\d\\d\\] ${escape(peer.name)}: ${before}$`, "m"));
  const text = unique("stamped");
  peer.say(text);
  await tmux.untilScreen(new RegExp(`^\\[\\d\\d:\\d\\d\\] ${escape(peer.name)}: ${text}$`, "m"));
});

describe("colours", () => {
  test("names have stable colours, our own in bold", async () => {
    const name = unique("col").slice(0, 20).replace(/-/g, "_");
    await startClient(name, "", { TERM: "xterm-256color" });
    const peer = await join(server.port);
    const text = unique("coloured");
    peer.say(text);
    tmux.type("mine");
    tmux.press("Enter");
    const screen = await tmux.untilScreen(new RegExp(`${escape(name)}.*: mine`), 5000, true);
    // Each name in its own colour, ours in bold and marked with » too. tmux re-encodes the attributes one by one
    // and may add the default background (49).
    const bg = "(\\x1b\\[49m)?";
    expect(screen).toMatch(new RegExp(`\\x1b\\[${colorOf(peer.name)}m${bg}${escape(peer.name)}\\x1b\\[(0|39)?m: ${text}`));
    expect(screen).toMatch(new RegExp(`\\x1b\\[[0-9;]*1m${bg}» ${bg}\\x1b\\[${colorOf(name)}m${escape(name)}\\x1b\\[0m.*: mine`));
  });

  test("NO_COLOR turns them off", async () => {
    const name = unique("nocol").slice(0, 20).replace(/-/g, "_");
    await startClient(name);
    const peer = await join(server.port);
    const text = unique("plain");
    peer.say(text);
    const screen = await tmux.untilScreen(new RegExp(`${escape(peer.name)}: ${text}`), 5000, true);
    expect(screen).not.toContain("\x1b[9"); // no bright colours
    expect(screen).not.toMatch(/\x1b\[3\dm/);
  });
});

/** A name for this test's client, valid and short enough to leave room on the row. */
const ttyName = (label: string) => unique(label).slice(0, 20).replace(/-/g, "_");

test("60 lines pasted at once all reach the room at the flood limit's pace; the prompt shows how many wait", async () => {
  await using limited = await serve(); // 5 lines a second, bursts of 50
  const peer = await join(limited.port);
  const name = ttyName("paste");
  await startClient(name, "", { NO_COLOR: "1" }, limited.port);
  const tag = unique("pasted");
  tmux.type(Array.from({ length: 60 }, (_, i) => `${tag} ${i + 1}\n`).join(""));
  await tmux.untilScreen(new RegExp(`^#main ${name} \\(\\d+ waiting\\)> ?$`, "m"));
  await peer.until(new RegExp(`^${name}: ${tag} 60$`), 20_000);
  const got = peer.lines.all.filter((l) => l.startsWith(`${name}: ${tag} `));
  expect(got).toEqual(Array.from({ length: 60 }, (_, i) => `${name}: ${tag} ${i + 1}`));
  await tmux.untilScreen(new RegExp(`^#main ${name}> ?$`, "m")); // nothing waits any more
  // "* slow down" goes to the sender alone, so only the sender's terminal, scrolled-off rows included, can show it.
  const shown = tmux.scrollback();
  expect(shown).toMatch(new RegExp(`${tag} 1$`, "m")); // it reaches back to the first pasted line
  expect(shown).not.toContain("slow down");
}, 30_000);

test("Ctrl-C while pasted lines still wait says how many were not sent", async () => {
  await using limited = await serve(); // 5 lines a second, bursts of 50
  const peer = await join(limited.port);
  const name = ttyName("unsent");
  await startClient(name, "", { NO_COLOR: "1" }, limited.port);
  const tag = unique("cut");
  tmux.type(Array.from({ length: 80 }, (_, i) => `${tag} ${i + 1}\n`).join(""));
  await tmux.untilScreen(new RegExp(`^#main ${name} \\(\\d+ waiting\\)> ?$`, "m"));
  tmux.press("C-c");
  const [, unsent] = (await tmux.untilScreen(/^chat: (\d+) lines typed were not sent$/m)).match(/^chat: (\d+) lines typed were not sent$/m)!;
  await peer.until(new RegExp(`^${name} has left$`));
  // What the room got and what the client says it did not send are the whole paste.
  const got = peer.lines.all.filter((l) => l.startsWith(`${name}: ${tag} `)).length;
  expect(Number(unsent)).toBeGreaterThan(0);
  expect(got + Number(unsent)).toBe(80);
});

test("/mode is the client's own: it is not sent, the client says so, and lines keep showing", async () => {
  const name = ttyName("mode");
  await startClient(name);
  const peer = await join(server.port);
  tmux.type("/mode plain");
  tmux.press("Enter");
  await tmux.untilScreen(/^\* chat connect keeps its own mode: use chat connect --json or --raw for other views$/m);
  const text = unique("still-shown");
  peer.say(text);
  await tmux.untilScreen(new RegExp(`^${escape(peer.name)}: ${text}$`, "m"));
});

test("a resize redraws the prompt: no stale row is left behind", async () => {
  const name = ttyName("resize");
  await startClient(name);
  const typed = Array.from({ length: 200 }, (_, i) => String.fromCharCode(97 + (i % 26))).join("");
  tmux.type(typed);
  await tmux.untilScreen(new RegExp(`^#main ${name}> <[a-z]+$`, "m"));
  tmux.resize(60);
  // Every row holding typed text: only the prompt's, fitted to the new width.
  const typedRows = (screen: string) => screen.split("\n").filter((row) => /[a-z]{12}/.test(row) && !row.includes(CHAT));
  const deadline = Date.now() + 5000;
  let rows = typedRows(tmux.screen());
  while (!(rows.length === 1 && rows[0]!.length < 60 && rows[0]!.startsWith(`#main ${name}> <`))) {
    if (Date.now() > deadline) throw new Error(`the prompt was not redrawn alone at 60 columns:\n${tmux.screen()}`);
    await Bun.sleep(30);
    rows = typedRows(tmux.screen());
  }
  expect(typed.endsWith(rows[0]!.slice(`#main ${name}> <`.length))).toBe(true);
});

test("the editor moves and deletes by what is seen as one character (grapheme clusters)", async () => {
  const name = ttyName("emoji");
  await startClient(name);
  const peer = await join(server.port);
  const prompt = `#main ${name}> `.length;
  const family = "👨‍👩‍👧";
  tmux.type(`x${family}y`);
  await tmux.untilCursorColumn(prompt + 4); // x, the family (two columns), y
  tmux.press("Left", "Left");
  await tmux.untilCursorColumn(prompt + 1); // between x and the family, not inside it nor in the prompt
  tmux.type("Z");
  tmux.press("Enter");
  await peer.until(new RegExp(`^${name}: xZ${family}y$`));
  tmux.type("ab🇨🇳");
  await tmux.untilCursorColumn(prompt + 4);
  tmux.press("BSpace");
  await tmux.untilCursorColumn(prompt + 2);
  tmux.press("Enter");
  await peer.until(new RegExp(`^${name}: ab$`));
});

test("↑ then ↓ brings back the line being typed", async () => {
  const name = ttyName("draft");
  await startClient(name);
  tmux.type("sent before");
  tmux.press("Enter");
  await tmux.untilScreen(new RegExp(`^» ${name}: sent before$`, "m"));
  tmux.type("half a draft");
  await tmux.untilScreen(new RegExp(`^#main ${name}> half a draft$`, "m"));
  tmux.press("Up");
  await tmux.untilScreen(new RegExp(`^#main ${name}> sent before$`, "m"));
  tmux.press("Down");
  await tmux.untilScreen(new RegExp(`^#main ${name}> half a draft$`, "m"));
});

test("a line longer than the row shows a marker on each side where text is hidden", async () => {
  const name = ttyName("long");
  await startClient(name);
  const typed = Array.from({ length: 200 }, (_, i) => String.fromCharCode(97 + (i % 26))).join("");
  tmux.type(typed);
  // At the end: the start is hidden.
  const [atEnd] = (await tmux.untilScreen(new RegExp(`^#main ${name}> <[a-z]+$`, "m"))).match(new RegExp(`^#main ${name}> <[a-z]+$`, "m"))!;
  expect(typed.endsWith(atEnd.slice(`#main ${name}> <`.length))).toBe(true);
  expect(atEnd.length).toBeLessThan(100);
  tmux.press("Home");
  // At the start: the end is hidden.
  const [atStart] = (await tmux.untilScreen(new RegExp(`^#main ${name}> [a-z]+>$`, "m"))).match(new RegExp(`^#main ${name}> [a-z]+>$`, "m"))!;
  expect(typed.startsWith(atStart.slice(`#main ${name}> `.length, -1))).toBe(true);
  expect(tmux.cursorColumn()).toBe(`#main ${name}> `.length);
});

test("a line over the server's limit is refused with the limit named, and stays in the input line", async () => {
  await using short = await serve(["--max-line", "50", "--rate", "0"]);
  const peer = await join(short.port);
  const name = ttyName("toolong");
  await startClient(name, "", { NO_COLOR: "1" }, short.port);
  const text = `${unique("long")}-${"x".repeat(60)}`.slice(0, 70);
  tmux.type(text);
  tmux.press("Enter");
  await tmux.untilScreen(new RegExp(`^\\* line too long \\(max 50 bytes\\)\\n#main ${name}> ${text}$`, "m"));
  tmux.press("C-a", "C-k");
  tmux.type("short enough");
  tmux.press("Enter");
  await peer.until(new RegExp(`^${name}: short enough$`));
  expect(peer.lines.all.some((l) => l.includes(text.slice(0, 20)))).toBe(false);
});

test("against ncat --chat, a server that is not chat: its lines are shown, and what is typed reaches the others", async () => {
  await using ncat = await ncatChat();
  const peer = await dial(ncat.port);
  await peer.until(/^<announce> 127\.0\.0\.1 is connected as <user\d+>\.$/);
  const name = ttyName("ncat");
  tmux = new Tmux();
  await tmux.start({ NO_COLOR: "1" });
  tmux.type(`${CHAT} connect 127.0.0.1:${ncat.port} --name ${name}`);
  tmux.press("Enter");
  await tmux.untilScreen(/^<announce> 127\.0\.0\.1 is connected as <user\d+>\.$/m);
  const [, them] = await peer.until(/^<announce> 127\.0\.0\.1 is connected as <(user\d+)>\.$/);
  const hello = unique("hello");
  peer.say(hello);
  await tmux.untilScreen(new RegExp(`^<user\\d+> ${hello}$`, "m"));
  tmux.type("typed here");
  tmux.press("Enter");
  await peer.until(new RegExp(`^<${them}> typed here$`));
});

describe("rooms", () => {
  /** A room of this test's own: names are at most 32 characters. */
  const roomName = () => unique("r").replace(/-/g, "_").slice(0, 32);

  test("--room joins that room on arrival: the prompt shows it, room events read well, and the typed line survives them", async () => {
    const room = roomName();
    const peer = await join(server.port);
    peer.say(`/join #${room}`);
    await peer.until(new RegExp(`^\\* you are now in #${room}$`));
    const name = ttyName("roomy");
    await startClient(name, `--room ${room}`);
    await tmux.untilScreen(new RegExp(`^\\* you are now in #${room}\\nPresent: ${escape(peer.name)}\\n`, "m"));
    await tmux.untilScreen(new RegExp(`^#${room} ${name}> ?$`, "m"));
    await peer.until(new RegExp(`^${name} has arrived$`));
    tmux.type("half typed");
    const topic = unique("topic");
    peer.say(`/topic ${topic}`);
    await tmux.untilScreen(new RegExp(`^\\* ${escape(peer.name)} set the topic: ${topic}\\n#${room} ${name}> half typed$`, "m"));
    peer.say(`/join #${room}_2`);
    await tmux.untilScreen(new RegExp(`^${escape(peer.name)} went to #${room}_2\\n#${room} ${name}> half typed$`, "m"));
    tmux.press("Enter");
    await tmux.untilScreen(new RegExp(`^» ${name}: half typed$`, "m"));
  });

  test("/join, /rooms and /leave work from the prompt, which follows the room", async () => {
    const room = roomName();
    const watcher = await join(server.port);
    const name = ttyName("mover");
    await startClient(name);
    await tmux.untilScreen(new RegExp(`^#main ${name}> ?$`, "m"));
    tmux.type(`/join ${room}`);
    tmux.press("Enter");
    await tmux.untilScreen(new RegExp(`^\\* you are now in #${room}\\n#${room} ${name}> ?$`, "m"));
    await watcher.until(new RegExp(`^${name} went to #${room}$`));
    tmux.type("/rooms");
    tmux.press("Enter");
    await tmux.untilScreen(new RegExp(`^\\* #${room} \\(1\\)$`, "m"));
    tmux.type("/leave");
    tmux.press("Enter");
    await tmux.untilScreen(new RegExp(`^\\* you are now in #main\\n`, "m"));
    await tmux.untilScreen(new RegExp(`^#main ${name}> ?$`, "m"));
    await watcher.until(new RegExp(`^${name} has arrived$`));
  });
});
