// `chat connect` on a terminal: messages scroll above a prompt line that stays whole, and the terminal is put back on exit.
import { joinRoom, saysQuit, type RoomOptions } from "./pipe.ts";
import { charWidth, displayWidth, LineEditor } from "./editor.ts";
import { encodeLine, TextLineReader } from "../wire/framing.ts";
import { cleanText } from "../wire/sanitize.ts";
import { wordsFor } from "../wire/messages.ts";
import { formatEvent, paintName, type Look } from "./render.ts";

export interface TerminalOptions extends RoomOptions {
  timestamps: boolean;
  color: boolean;
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
}

const CLEAR_LINE = "\r\x1b[2K";

/** The prompt line and everything printed above it. */
class Screen {
  readonly #out: NodeJS.WriteStream;
  readonly #editor: LineEditor;
  readonly #look: Look;
  #active = true;

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

  /** No more prompt: we are leaving. */
  close(): void {
    if (!this.#active) return;
    this.#active = false;
    this.#out.write(CLEAR_LINE);
  }

  #promptLine(): string {
    const name = this.#look.self ?? "";
    const prompt = `${name && paintName(name, this.#look)}> `;
    const room = Math.max(10, (this.#out.columns || 80) - displayWidth(name) - 3);
    // Show the part of the line around the cursor that fits on one row.
    const chars = this.#editor.chars.map((c) => (c === "\t" ? " " : c));
    let start = 0;
    let width = 0;
    for (let i = this.#editor.cursor - 1; i >= 0; i--) {
      width += charWidth(chars[i]!.codePointAt(0)!);
      if (width > room) {
        start = i + 1;
        break;
      }
    }
    let end = start;
    width = 0;
    while (end < chars.length && width + charWidth(chars[end]!.codePointAt(0)!) <= room) width += charWidth(chars[end++]!.codePointAt(0)!);
    const before = chars.slice(start, this.#editor.cursor).join("");
    const after = chars.slice(this.#editor.cursor, end).join("");
    // Write the whole visible line, then step back over what follows the cursor.
    const back = displayWidth(after);
    return `${prompt}${before}${after}${back > 0 ? `\x1b[${back}D` : ""}`;
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
    printed.push(options.color ? `\x1b[33m* ${text}\x1b[0m` : `* ${text}`);
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

  let leave!: () => void; // the user is done: Enter on /quit, Ctrl-D, Ctrl-C or a signal
  const leaving = new Promise<"left">((resolve) => (leave = () => resolve("left")));

  stdin.on("data", (data: Buffer) => {
    for (const action of editor.feed(data.toString("utf8"))) {
      switch (action.kind) {
        case "redraw":
          screen.redraw();
          break;
        case "submit":
          void room.link.write(encodeLine(action.line)); // a blank line too: the server ignores it
          if (saysQuit(action.line)) return leave(); // what follows in this read is not sent
          screen.redraw();
          break;
        case "eof":
        case "interrupt":
          return leave();
      }
    }
  });
  stdin.resume();

  const onSignal = () => leave();
  process.on("SIGTERM", onSignal);
  process.on("SIGHUP", onSignal);

  const end = await Promise.race([leaving, room.serverClosed.then(() => "lost" as const)]);
  screen.close();
  if (end === "left") await room.leave();
  restore();
  stdin.pause();
  if (end === "lost") {
    options.warn(room.lostReason());
    return 1;
  }
  return 0;
}
