// Random inputs for the pure parts (framing, sanitizing, command parsing, the hub's output), from a seeded PRNG so a failure
// reproduces: CHAT_FUZZ_SEED=N bun test test/fuzz.test.ts.
import { expect, test } from "bun:test";
import { Secret } from "../../core/chat/secret.ts";
import { parseInput, type Input } from "../../core/wire/commands.ts";
import { decodeLine, LineReader } from "../../core/wire/framing.ts";
import { Hub } from "../../core/chat/hub.ts";
import type { Member } from "../../core/chat/member.ts";
import { wordsFor } from "../../core/wire/messages.ts";
import { Moderation } from "../../core/chat/moderation.ts";
import { cleanText } from "../../core/wire/sanitize.ts";

const SEED = Number(process.env.CHAT_FUZZ_SEED ?? 20261125);

/** mulberry32: small, fast, and the same numbers for the same seed everywhere. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  return { next, int, pick };
}
type Random = ReturnType<typeof prng>;

/** What no output may hold: C0 but tab, DEL, C1, bidi controls, line and paragraph separators. */
const FORBIDDEN = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** Bytes that stress framing: newlines, CRs, invalid UTF-8, pieces of multi-byte characters, escapes. */
function randomBytes(r: Random, length: number): Uint8Array {
  const alphabet = [0x0a, 0x0d, 0x61, 0x20, 0x2f, 0x1b, 0x5b, 0x00, 0x7f, 0xff, 0xc3, 0xa9, 0xe6, 0x97, 0xa5, 0xf0, 0x9f, 0x99, 0x82, 0x80, 0x9b];
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = r.next() < 0.5 ? r.pick(alphabet) : r.int(256);
  return out;
}

/** Text that stresses sanitizing: escape sequences, controls, bidi marks, surrogate pairs, combining marks. */
function randomText(r: Random, pieces: number): string {
  const parts = [
    "a", "Z", " ", "\t", "/", "//", "/nick ", "/msg ", "/me ", "/kick ", "/ban ", "/mute ", "/op ", "10m", "::1", "10.0.0.0/8",
    "\x1b", "\x1b[", "\x1b[31m", "\x1b]0;title\x07", "\x1b]8;;http://x\x1b\\", "\x1bP", "\x1b\\", "\x9b", "\x9b2J", "[", "]", ";", "0", "9",
    "\x00", "\x07", "\x08", "\n", "\r", "\x7f", "\x85", "\x9f", "\u061c", "\u200e", "\u200f", "\u2028", "\u2029", "\u202e", "\u2066", "\u2069",
    "é", "e\u0301", "日本", "🙂", "\ud83d", "\ude42", "\ufffd", "ａｌｉｃｅ", "ß",
  ];
  let text = "";
  for (let i = 0; i < pieces; i++) text += r.pick(parts);
  return text;
}

/** LineReader's contract, written the slow and obvious way. */
function modelLines(stream: Uint8Array, maxLine: number, finished: boolean) {
  const lines: number[][] = [];
  let tooLong = 0;
  let start = 0;
  const judge = (line: number[], terminated: boolean) => {
    const body = line.at(-1) === 0x0d ? line.slice(0, -1) : line;
    if (line.length > maxLine + 1) return tooLong++;
    if (body.length <= maxLine) return lines.push(body);
    if (terminated) tooLong++; // exactly maxLine + 1 bytes and no \r: found too long at its end
  };
  for (let i = 0; i < stream.length; i++) {
    if (stream[i] !== 0x0a) continue;
    judge([...stream.subarray(start, i)], true);
    start = i + 1;
  }
  const tail = [...stream.subarray(start)];
  if (tail.length > maxLine + 1) tooLong++; // reported while it grows
  else if (finished && tail.length > 0) judge(tail, false);
  return { lines, tooLong };
}

test(`LineReader: any bytes, any cutting, gives the lines of the model and none longer than the limit (seed ${SEED})`, () => {
  const r = prng(SEED);
  for (let round = 0; round < 3000; round++) {
    const maxLine = 1 + r.int(r.next() < 0.5 ? 8 : 300);
    const stream = randomBytes(r, r.int(2000));
    const reader = new LineReader(maxLine);
    const lines: number[][] = [];
    let tooLong = 0;
    for (let at = 0; at < stream.length; ) {
      const size = 1 + r.int(r.next() < 0.3 ? 3 : 700);
      reader.push(stream.subarray(at, at + size), (line) => lines.push([...line]), () => tooLong++);
      at += size;
    }
    const finished = r.next() < 0.5;
    if (finished) reader.finish((line) => lines.push([...line]));
    const expected = modelLines(stream, maxLine, finished);
    const context = `seed ${SEED}, round ${round}, maxLine ${maxLine}`;
    for (const line of lines) {
      if (line.length > maxLine || line.includes(0x0a)) throw new Error(`${context}: a line of ${line.length} bytes came out`);
    }
    if (tooLong !== expected.tooLong || JSON.stringify(lines) !== JSON.stringify(expected.lines))
      throw new Error(`${context}: ${lines.length} lines and ${tooLong} too long; the model says ${expected.lines.length} and ${expected.tooLong}`);
  }
});

test(`cleanText: no control character survives, valid UTF-8 out, never longer, idempotent (seed ${SEED})`, () => {
  const r = prng(SEED + 1);
  for (let round = 0; round < 20_000; round++) {
    // Half of the inputs come as bytes off the wire, half as text: decodeLine is how the server gets its strings.
    const input = round % 2 === 0 ? decodeLine(randomBytes(r, r.int(200))) : randomText(r, r.int(40)).toWellFormed();
    const output = cleanText(input);
    const context = `seed ${SEED}, round ${round}: ${JSON.stringify(input)} → ${JSON.stringify(output)}`;
    if (FORBIDDEN.test(output)) throw new Error(`${context}: a control character survived`);
    if (!output.isWellFormed() || strictUtf8.decode(new TextEncoder().encode(output)) !== output) throw new Error(`${context}: not valid UTF-8`);
    if (output.length > input.length) throw new Error(`${context}: longer than its input`);
    if (cleanText(output) !== output) throw new Error(`${context}: cleaning twice changes it`);
  }
});

const KINDS = new Set(["say", "nick", "who", "msg", "me", "away", "back", "help", "quit", "mode", "usage", "unknown", "op", "kick", "mute", "unmute", "ban", "unban", "bans"]);

test(`parseInput: never throws; every field is a piece of the line; names hold no spaces (seed ${SEED})`, () => {
  const r = prng(SEED + 2);
  for (let round = 0; round < 20_000; round++) {
    const line = cleanText(randomText(r, 1 + r.int(12)).toWellFormed());
    if (line.trim() === "") continue; // the server ignores these before parsing
    const input: Input = parseInput(line);
    const context = `seed ${SEED}, round ${round}: ${JSON.stringify(line)} → ${JSON.stringify(input)}`;
    if (!KINDS.has(input.kind)) throw new Error(`${context}: unknown kind`);
    const fields = Object.entries(input).filter(([key, value]) => key !== "kind" && typeof value === "string") as [string, string][];
    for (const [key, value] of fields) {
      // usage is the help table's text; mode and a usage's command are lowercased.
      const fromLine = line.includes(value) || line.toLowerCase().includes(value);
      if (key !== "usage" && !fromLine) throw new Error(`${context}: ${key} is not from the line`);
      if (FORBIDDEN.test(value)) throw new Error(`${context}: ${key} holds a control character`);
    }
    for (const key of ["name", "to", "target"] as const)
      if (key in input && /\s/.test((input as Record<string, string>)[key]!)) throw new Error(`${context}: ${key} holds a space`);
    if (input.kind === "say" && input.text !== line && input.text !== line.slice(1)) throw new Error(`${context}: say changed the text`);
  }
});

class Recorder implements Member {
  readonly lines: Uint8Array[] = [];
  closed = false;
  constructor(readonly address: string, readonly ip: string) {}
  send(bytes: Uint8Array): void {
    this.lines.push(bytes.slice()); // the hub may reuse its buffer once send returns
  }
  close(): void {
    this.closed = true;
  }
}

test(`the whole path, bytes → lines → clean → parse → hub → bytes: every line out is clean UTF-8 of bounded length (seed ${SEED})`, () => {
  const r = prng(SEED + 3);
  const maxLine = 512;
  // A line in may come out longer: each bad byte becomes U+FFFD (3 bytes), plus a name and a JSON frame.
  const limit = 3 * maxLine + 512;
  const hub = new Hub({ words: wordsFor("en"), history: 5, moderation: new Moderation({ opSecret: new Secret("op") }) });
  const members = Array.from({ length: 4 }, (_, i) => new Recorder(`10.0.0.${i + 1}:${1000 + i}`, `10.0.0.${i + 1}`));
  for (const m of members) hub.join(m);
  hub.handle(members[0]!, parseInput("/op op"));
  hub.handle(members[1]!, parseInput("/mode json"));
  let sent = 0;
  for (let round = 0; round < 3000; round++) {
    const from = r.pick(members);
    if (from.closed) continue;
    const bytes = r.next() < 0.5 ? randomBytes(r, r.int(2 * maxLine)) : new TextEncoder().encode(`${randomText(r, 1 + r.int(30))}\n`);
    const reader = new LineReader(maxLine);
    reader.push(bytes, (line) => {
      const text = cleanText(decodeLine(line));
      if (text.trim() !== "") hub.handle(from, parseInput(text));
    }, () => {});
  }
  for (const m of members) {
    for (const bytes of m.lines) {
      sent++;
      const text = strictUtf8.decode(bytes); // throws on invalid UTF-8
      const lines = text.split("\n");
      if (lines.pop() !== "") throw new Error(`seed ${SEED}: output without a final newline: ${JSON.stringify(text)}`);
      for (const line of lines) {
        if (FORBIDDEN.test(line)) throw new Error(`seed ${SEED}: a control character went out: ${JSON.stringify(line)}`);
        if (new TextEncoder().encode(line).length > limit) throw new Error(`seed ${SEED}: a line of more than ${limit} bytes went out`);
        if (line.startsWith("{")) JSON.parse(line);
      }
    }
  }
  expect(sent).toBeGreaterThan(1000); // the room did talk
});
