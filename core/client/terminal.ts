// `chat connect` on a terminal: messages scroll above a prompt line that stays whole, and the terminal is put back on exit.
import { joinRoom, KEEPS_MODE, readAsServer, saysQuit, type RoomOptions } from "./room.ts";
import { clusterWidth, displayWidth, LineEditor } from "./editor.ts";
import { encodeLine, TextLineReader } from "../wire/framing.ts";
import { cleanText, isBlank } from "../wire/sanitize.ts";
import { wordsFor } from "../wire/messages.ts";
import { formatEvent, paintName, styled, type Look } from "./render.ts";

export interface TerminalOptions extends RoomOptions {
  timestamps: boolean;
  color: boolean;
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
}

const CLEAR_LINE = "\r\x1b[2K";
/** Shown at the edge of the input line where text is scrolled out of sight, as readline does. */
const HIDDEN_LEFT = "<";
const HIDDEN_RIGHT = ">";

/** The prompt line and everything printed above it. */
class Screen {
  readonly #out: NodeJS.WriteStream;
  readonly #editor: LineEditor;
  readonly #look: Look;
  #active = true;
  /** Lines typed and not yet sent (the flood limit): shown in the prompt. */
  waiting = 0;
  /** The room we are in, once the server says. */
  room?: string;
  /** The cursor's column as last drawn: after a resize rewraps the prompt row, how many rows up it now starts. */
  #cursorColumn = 0;

  constructor(out: NodeJS.WriteStream, editor: LineEditor, look: Look) {
    this.#out = out;
    this.#editor = editor;
    this.#look = look;
  }

  /** Lines above the prompt; the line being typed is drawn again below them. */
  print(lines: string[]): void {
    if (lines.length === 0) return;
    const body = lines.join("\r\n");
    this.#out.write(this.#active ? `${CLEAR_LINE}${body}\r\n${this.#promptLine()}` : `${body}\r\n`);
  }

  redraw(): void {
    if (this.#active) this.#out.write(CLEAR_LINE + this.#promptLine());
  }

  /**
   * The terminal changed size. Terminals that rewrap (tmux, VTE, kitty…) turn a prompt row wider
   * than the new width into several, the cursor on the last: clear from the first of them down.
   */
  resized(): void {
    if (!this.#active) return;
    const up = Math.floor(this.#cursorColumn / this.#columns());
    this.#out.write(`\r${up > 0 ? `\x1b[${up}A` : ""}\x1b[J${this.#promptLine()}`);
  }

  /** No more prompt: we are leaving. */
  close(): void {
    if (!this.#active) return;
    this.#active = false;
    this.#out.write(CLEAR_LINE);
  }

  #columns(): number {
    return this.#out.columns || 80;
  }

  #promptLine(): string {
    const look = this.#look;
    const name = look.self ?? "";
    const room = this.room ? `${this.room} ` : "";
    const waiting = this.waiting > 0 ? ` (${this.waiting} waiting)` : "";
    const label = `${room}${name}${waiting}> `;
    const painted = `${room && styled(look, 2, room)}${name && paintName(name, look)}${waiting && styled(look, 33, waiting)}> `;
    const labelWidth = displayWidth(label);
    // The last column stays free: a row filled to the edge leaves the cursor waiting to wrap.
    const space = Math.max(10, this.#columns() - 1 - labelWidth);
    const chars = this.#editor.chars.map((c) => (c === "\t" ? " " : c));
    const widths = chars.map(clusterWidth);
    const columns = (from: number, to: number) => widths.slice(from, to).reduce((a, b) => a + b, 0);
    const cursor = this.#editor.cursor;
    let start = 0;
    let end = chars.length;
    if (columns(0, chars.length) > space) {
      // Too long for the row: as much as fits up to the cursor, with a marker at each edge where text is hidden.
      const inner = space - 2;
      let width = cursor < chars.length ? widths[cursor]! : 1; // the cursor's own cell, one past the end at the end
      start = cursor;
      while (start > 0 && width + widths[start - 1]! <= inner) width += widths[--start]!;
      width = 0;
      end = start;
      while (end < chars.length && width + widths[end]! <= inner) width += widths[end++]!;
    }
    const left = start > 0 ? HIDDEN_LEFT : "";
    const right = end < chars.length ? HIDDEN_RIGHT : "";
    const before = chars.slice(start, cursor).join("");
    const after = chars.slice(cursor, end).join("");
    this.#cursorColumn = labelWidth + left.length + columns(start, cursor);
    // Write the whole visible line, then step back over what follows the cursor.
    const back = columns(cursor, end) + right.length;
    return `${painted}${left && styled(look, 2, left)}${before}${after}${right && styled(look, 2, right)}${back > 0 ? `\x1b[${back}D` : ""}`;
  }
}


/** Runs until the user leaves (0) or the connection is lost (1). */
export async function runTerminal(options: TerminalOptions): Promise<number> {
  const { stdin, stdout } = options;
  const editor = new LineEditor();
  const look: Look = { color: options.color, timestamps: options.timestamps, words: wordsFor("en") };
  const screen = new Screen(stdout, editor, look);
  // What a chunk from the server prints goes out at once, with one redraw of the prompt.
  let printed: string[] = [];
  const flush = () => {
    if (printed.length === 0) return;
    screen.print(printed);
    printed = [];
  };
  // Our own notices come in order with the lines before them, at once.
  const notice = (text: string) => {
    printed.push(styled(look, 33, `* ${text}`));
    flush();
  };

  const restore = () => {
    if (stdin.isTTY) stdin.setRawMode(false);
  };
  process.on("exit", restore);
  stdin.setRawMode(true);

  const plainLines = new TextLineReader(1 << 24);
  const room = await joinRoom(
    { ...options, warn: notice },
    {
      raw: false,
      onEvent: (event, _json, session) => {
        if (event.type === "welcome") look.words = wordsFor(session.lang);
        for (const line of formatEvent(event, look)) printed.push(line);
        if (event.type === "welcome" || event.type === "nick") look.self = session.name; // the only events that change our name
        screen.room = session.room;
      },
      onChunkEnd: flush,
      // A server that is not chat: its lines as they are, less what could take over the terminal.
      onPlain: (bytes) => {
        plainLines.push(bytes, (line) => printed.push(cleanText(line)));
        flush();
      },
    },
  ).catch((error) => {
    restore();
    throw error;
  });
  screen.redraw();

  let leave!: () => void; // the user is done: /quit sent, Ctrl-D, Ctrl-C or a signal
  const leaving = new Promise<"left">((resolve) => (leave = () => resolve("left")));

  // Lines go out no faster than the server's flood limit: a paste waits here, and the prompt says how much of it.
  const outgoing: string[] = [];
  let sending = false;
  let ending = false; // Ctrl-D: leave once what is waiting has gone
  const send = async () => {
    if (sending) return;
    sending = true;
    while (outgoing.length > 0) {
      await room.throttle.ready();
      const line = outgoing.shift()!;
      if (!isBlank(cleanText(line))) room.throttle.take(1); // a blank line too goes out, and the server ignores it
      screen.waiting = outgoing.length;
      await room.link.write(encodeLine(line)); // one at a time: a write the kernel took only part of finishes first
      if (saysQuit(line)) return leave();
      screen.redraw();
    }
    sending = false;
    if (ending) leave();
  };

  /** What the client does with a line typed; false once nothing more may be typed. */
  const submit = (line: string): boolean => {
    const input = readAsServer(line);
    if (input.kind === "mode") {
      // The client reads the server's JSON mode and renders it; /mode plain would leave it showing nothing.
      notice(KEEPS_MODE);
      return true;
    }
    const maxLine = room.session?.limits?.maxLine;
    if (maxLine !== undefined && Buffer.byteLength(line) > maxLine) {
      editor.restore(line); // to be cut down, not typed again
      notice(`line too long (max ${maxLine} bytes)`);
      return true;
    }
    outgoing.push(line);
    screen.waiting = outgoing.length;
    void send();
    return !saysQuit(line);
  };

  stdin.on("data", (data: Buffer) => {
    if (ending) return;
    for (const action of editor.feed(data.toString("utf8"))) {
      switch (action.kind) {
        case "redraw":
          screen.redraw();
          break;
        case "submit":
          if (!submit(action.line)) {
            ending = true; // what follows in this read is not sent
            return;
          }
          screen.redraw();
          break;
        case "eof":
          ending = true;
          if (!sending) leave();
          return;
        case "interrupt":
          return leave();
      }
    }
  });
  stdin.resume();

  const onSignal = () => leave();
  const onResize = () => screen.resized();
  process.on("SIGTERM", onSignal);
  process.on("SIGHUP", onSignal);
  process.on("SIGWINCH", onResize);

  const end = await Promise.race([leaving, room.serverClosed.then(() => "lost" as const)]);
  process.off("SIGWINCH", onResize);
  screen.close();
  if (end === "left") await room.leave();
  restore();
  stdin.pause();
  // Ctrl-C, a signal or a lost connection while a paste was still going out: say what did not go.
  const unsent = outgoing.filter((line) => !saysQuit(line)).length;
  if (unsent > 0) options.warn(`${unsent} ${unsent === 1 ? "line" : "lines"} typed were not sent`);
  if (end === "lost") {
    options.warn(room.lostReason());
    return 1;
  }
  return 0;
}
