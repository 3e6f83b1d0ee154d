// The line being typed in the terminal client: keys in, the new line and what to do out. No I/O here.

export type EditorAction =
  | { kind: "none" }
  | { kind: "redraw" }
  | { kind: "submit"; line: string }
  | { kind: "eof" } // Ctrl-D on an empty line
  | { kind: "interrupt" }; // Ctrl-C

const NONE: EditorAction = { kind: "none" };
const REDRAW: EditorAction = { kind: "redraw" };

/** Made on first use: ICU's segmenter costs a server that never edits a line 3 MB of memory. */
let graphemes: Intl.Segmenter | undefined;

/** What a person sees as one character (`👨‍👩‍👧`, `🇨🇳`, `é` written as e and an accent): the cursor never splits one. */
export function clusters(text: string): string[] {
  graphemes ??= new Intl.Segmenter(undefined, { granularity: "grapheme" });
  return Array.from(graphemes.segment(text), (s) => s.segment);
}

export class LineEditor {
  /** Grapheme clusters, so that the cursor moves and deletes by what a person sees as one character. */
  #chars: string[] = [];
  #cursor = 0;
  #history: string[] = [];
  #browsing = -1;
  /** The line being typed when ↑ went into the history: ↓ back out of it restores it. */
  #draft = "";
  #pending = ""; // an escape sequence cut between two reads

  get text(): string {
    return this.#chars.join("");
  }

  /** Cursor position in clusters. */
  get cursor(): number {
    return this.#cursor;
  }

  get chars(): readonly string[] {
    return this.#chars;
  }

  /** Puts a line back to be edited again (one the client would not send), the cursor at its end. */
  restore(line: string): void {
    this.#chars = clusters(line);
    this.#cursor = this.#chars.length;
  }

  /** Feeds what the terminal sent; returns the actions in order. */
  feed(input: string): EditorAction[] {
    const actions: EditorAction[] = [];
    let text = this.#pending + input;
    this.#pending = "";
    while (text.length > 0) {
      const [consumed, action] = this.#key(text);
      if (consumed === 0) {
        this.#pending = text; // an incomplete escape sequence: wait for the rest
        break;
      }
      text = text.slice(consumed);
      if (action.kind !== "none") actions.push(action);
    }
    return collapse(actions);
  }

  #key(text: string): [number, EditorAction] {
    const c = text.charCodeAt(0);
    if (c === 0x1b) return this.#escape(text);
    switch (c) {
      case 0x0d: // Enter (raw mode sends \r)
      case 0x0a:
        return [text.startsWith("\r\n") ? 2 : 1, this.#submit()];
      case 0x03:
        return [1, { kind: "interrupt" }];
      case 0x04: // Ctrl-D: leave on an empty line, else delete forward
        if (this.#chars.length === 0) return [1, { kind: "eof" }];
        return [1, this.#deleteForward()];
      case 0x7f:
      case 0x08:
        return [1, this.#backspace()];
      case 0x01: // Ctrl-A
        return [1, this.#move(0)];
      case 0x05: // Ctrl-E
        return [1, this.#move(this.#chars.length)];
      case 0x02: // Ctrl-B
        return [1, this.#move(this.#cursor - 1)];
      case 0x06: // Ctrl-F
        return [1, this.#move(this.#cursor + 1)];
      case 0x0b: // Ctrl-K
        this.#chars.splice(this.#cursor);
        return [1, REDRAW];
      case 0x15: // Ctrl-U
        this.#chars.splice(0, this.#cursor);
        this.#cursor = 0;
        return [1, REDRAW];
      case 0x17: // Ctrl-W
        return [1, this.#deleteWord()];
      case 0x0c: // Ctrl-L
        return [1, REDRAW];
      case 0x09: // tab is text
        return [1, this.#insert("\t")];
    }
    if (c < 0x20) return [1, NONE]; // other control keys do nothing
    // A run of text at once: a paste is one insertion, and a cluster typed in parts (a flag, a family) joins up.
    const run = /^[^\x00-\x1f\x7f]+/.exec(text)![0];
    return [run.length, this.#insert(run)];
  }

  #escape(text: string): [number, EditorAction] {
    if (text.length === 1) return [0, NONE];
    const csi = /^\x1b[[O]([0-9;]*)([A-Za-z~])/.exec(text);
    if (!csi) {
      if (/^\x1b[[O][0-9;]*$/.test(text)) return [0, NONE]; // cut in the middle
      return [text.length >= 2 ? 2 : 1, NONE]; // Alt-x and the like: ignored
    }
    const [all, params, final] = csi;
    switch (final) {
      case "D":
        return [all.length, this.#move(this.#cursor - 1)];
      case "C":
        return [all.length, this.#move(this.#cursor + 1)];
      case "H":
        return [all.length, this.#move(0)];
      case "F":
        return [all.length, this.#move(this.#chars.length)];
      case "A":
        return [all.length, this.#recall(+1)];
      case "B":
        return [all.length, this.#recall(-1)];
      case "~":
        if (params === "3") return [all.length, this.#deleteForward()];
        if (params === "1" || params === "7") return [all.length, this.#move(0)];
        if (params === "4" || params === "8") return [all.length, this.#move(this.#chars.length)];
        return [all.length, NONE]; // others, the bracketed paste marks 200~ and 201~ among them, do nothing
      default:
        return [all.length, NONE];
    }
  }

  #insert(text: string): EditorAction {
    const before = this.#chars.slice(0, this.#cursor).join("") + text;
    const line = clusters(before + this.#chars.slice(this.#cursor).join(""));
    // The cursor goes after what was typed, or after the cluster it joined.
    let at = 0;
    for (let offset = 0; at < line.length && offset < before.length; at++) offset += line[at]!.length;
    this.#chars = line;
    this.#cursor = at;
    return REDRAW;
  }

  #submit(): EditorAction {
    const line = this.text;
    this.#chars = [];
    this.#cursor = 0;
    this.#browsing = -1;
    this.#draft = "";
    if (line.trim() !== "" && this.#history.at(-1) !== line) this.#history.push(line);
    if (this.#history.length > 500) this.#history.shift();
    return { kind: "submit", line };
  }

  #backspace(): EditorAction {
    if (this.#cursor === 0) return NONE;
    this.#chars.splice(--this.#cursor, 1);
    return REDRAW;
  }

  #deleteForward(): EditorAction {
    if (this.#cursor >= this.#chars.length) return NONE;
    this.#chars.splice(this.#cursor, 1);
    return REDRAW;
  }

  #deleteWord(): EditorAction {
    let start = this.#cursor;
    while (start > 0 && /\s/.test(this.#chars[start - 1]!)) start--;
    while (start > 0 && !/\s/.test(this.#chars[start - 1]!)) start--;
    this.#chars.splice(start, this.#cursor - start);
    this.#cursor = start;
    return REDRAW;
  }

  #move(to: number): EditorAction {
    const cursor = Math.max(0, Math.min(this.#chars.length, to));
    if (cursor === this.#cursor) return NONE;
    this.#cursor = cursor;
    return REDRAW;
  }

  /** Up (+1) and down (-1) through the lines already sent. */
  #recall(step: number): EditorAction {
    const next = this.#browsing + step;
    if (next < -1 || next >= this.#history.length) return NONE;
    if (this.#browsing === -1) this.#draft = this.text;
    this.#browsing = next;
    this.restore(next === -1 ? this.#draft : this.#history[this.#history.length - 1 - next]!);
    return REDRAW;
  }
}

/** Many keys in one read (a paste) need one redraw, not one per key. */
function collapse(actions: EditorAction[]): EditorAction[] {
  const out: EditorAction[] = [];
  for (const action of actions) {
    if (action.kind === "redraw" && out.at(-1)?.kind === "redraw") continue;
    out.push(action);
  }
  return out;
}

/** Columns a string takes on a terminal: wide (East Asian, emoji) characters take two. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const cluster of clusters(text)) width += clusterWidth(cluster);
  return width;
}

/** A cluster takes the width of its widest code point; one joined into an emoji (ZWJ, VS16, a flag's pair) takes two. */
export function clusterWidth(cluster: string): number {
  let width = 0;
  let points = 0;
  for (const char of cluster) {
    width = Math.max(width, charWidth(char.codePointAt(0)!));
    points++;
  }
  if (points > 1 && /[\u200d\ufe0f\u{1f1e6}-\u{1f1ff}\u{1f3fb}-\u{1f3ff}]/u.test(cluster)) return 2;
  return width;
}

export function charWidth(cp: number): number {
  if (cp === 0x09) return 1;
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return 0;
  if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200f) || cp === 0xfe0f) return 0; // combining, zero-width
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  )
    return 2;
  return 1;
}
