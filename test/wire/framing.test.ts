// LineReader: bytes into lines, whatever the segmentation; overlong lines dropped and reported once.
import { expect, test } from "bun:test";
import { decodeLine, encodeLine, LineReader, TextLineReader } from "../../core/wire/framing.ts";

const enc = (s: string) => new TextEncoder().encode(s);

function feed(reader: LineReader, chunks: (string | Uint8Array)[]): { lines: string[]; tooLong: number } {
  const lines: string[] = [];
  let tooLong = 0;
  for (const chunk of chunks)
    reader.push(typeof chunk === "string" ? enc(chunk) : chunk, (l) => lines.push(decodeLine(l)), () => tooLong++);
  return { lines, tooLong };
}

test.each([
  [["a\n"], ["a"]],
  [["a\nb\nc\n"], ["a", "b", "c"]],
  [["a", "b", "c\n"], ["abc"]],
  [["a\r\n", "b\r", "\n"], ["a", "b"]],
  [["\n\n"], ["", ""]],
  [["half"], []],
  [["x\ny"], ["x"]],
  [["a\r\rb\n"], ["a\r\rb"]],
])("%j → %j", (chunks, expected) => {
  expect(feed(new LineReader(), chunks).lines).toEqual(expected);
});

test("every way of cutting a stream gives the same lines", () => {
  const text = "héllo\n日本語\r\nplain\n🙂🙂\n";
  const bytes = enc(text);
  for (let a = 0; a <= bytes.length; a++)
    for (let b = a; b <= bytes.length; b++) {
      const { lines } = feed(new LineReader(), [bytes.subarray(0, a), bytes.subarray(a, b), bytes.subarray(b)]);
      expect(lines).toEqual(["héllo", "日本語", "plain", "🙂🙂"]);
    }
});

test("a line of exactly maxLine bytes passes, with or without \\r", () => {
  expect(feed(new LineReader(5), ["12345\n", "12345\r\n"])).toEqual({ lines: ["12345", "12345"], tooLong: 0 });
});

test("a longer line is dropped, reported once, and the next line is fine", () => {
  expect(feed(new LineReader(5), ["123456\nok\n"])).toEqual({ lines: ["ok"], tooLong: 1 });
  expect(feed(new LineReader(5), ["123", "456", "789", "0", "\nok\n"])).toEqual({ lines: ["ok"], tooLong: 1 });
});

test("a line with no end is reported once however much comes, and costs no memory", () => {
  const reader = new LineReader(4096);
  const MiB = new Uint8Array(1 << 20).fill(0x61);
  let tooLong = 0;
  for (let i = 0; i < 50; i++) reader.push(MiB, () => {}, () => tooLong++);
  expect(tooLong).toBe(1);
  expect(reader.held).toBeLessThanOrEqual(4096 + 2);
  // The rest of the overlong line is skipped, not taken for a line of its own.
  const { lines } = feed(reader, ["\nafter\n"]);
  expect(lines).toEqual(["after"]);
});

test("finish() gives the unfinished last line", () => {
  const reader = new LineReader();
  feed(reader, ["done\nhalf"]);
  const lines: string[] = [];
  reader.finish((l) => lines.push(decodeLine(l)));
  expect(lines).toEqual(["half"]);
});

test("bad UTF-8 decodes to U+FFFD; encodeLine adds \\n", () => {
  expect(decodeLine(new Uint8Array([0x61, 0xff, 0x62]))).toBe("a\ufffdb");
  expect(encodeLine("é")).toEqual(new Uint8Array([0xc3, 0xa9, 0x0a]));
});

test("TextLineReader: every way of cutting a stream gives the same lines as LineReader", () => {
  const text = "héllo\n日本語\r\nplain\n\n🙂🙂\nhalf";
  const bytes = enc(text);
  for (let a = 0; a <= bytes.length; a++)
    for (let b = a; b <= bytes.length; b++) {
      const reader = new TextLineReader();
      const lines: string[] = [];
      let counted = 0;
      for (const chunk of [bytes.subarray(0, a), bytes.subarray(a, b), bytes.subarray(b)]) counted += reader.push(chunk, (l) => lines.push(l));
      expect(lines).toEqual(["héllo", "日本語", "plain", "", "🙂🙂"]);
      expect(counted).toBe(5);
    }
});

test("TextLineReader drops a line longer than maxLine, however it comes, and goes on", () => {
  const lines: string[] = [];
  const reader = new TextLineReader(5);
  for (const chunk of ["12345\n1234", "56", "789\nok\n", "123456\nfine\n"]) reader.push(enc(chunk), (l) => lines.push(l));
  expect(lines).toEqual(["12345", "ok", "fine"]);
});
