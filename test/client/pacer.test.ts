// Pacer: input waits for the room's echo, but never for an echo that does not come.
import { expect, test } from "bun:test";
import { countLines, Pacer, PIECE_BYTES, pieces } from "../../core/client/pacer.ts";

const enc = (s: string) => new TextEncoder().encode(s);

test("pieces cut a chunk after a newline, keep every byte, and leave small chunks whole", () => {
  const chunk = enc(Array.from({ length: 5000 }, (_, i) => `line ${i} ${"x".repeat(i % 50)}\n`).join(""));
  const cut = [...pieces(chunk)];
  expect(cut.length).toBeGreaterThan(1);
  expect(cut.every((piece) => piece.length <= PIECE_BYTES && piece[piece.length - 1] === 0x0a)).toBe(true);
  expect(Buffer.concat(cut).equals(Buffer.from(chunk))).toBe(true);
  const small = enc("a\nb");
  expect([...pieces(small)]).toEqual([small]);
  const noNewline = new Uint8Array(PIECE_BYTES * 2 + 1).fill(0x61);
  expect([...pieces(noNewline)].map((p) => p.length)).toEqual([PIECE_BYTES, PIECE_BYTES, 1]);
});

test("a full window waits until enough lines come back", async () => {
  const pacer = new Pacer();
  const piece = enc("x\n".repeat(1500));
  pacer.sent(piece);
  await pacer.room(); // 1500 lines out: room left
  pacer.sent(piece);
  let ready = false;
  const waiting = pacer.room().then(() => (ready = true));
  pacer.back(500); // still 2500 out
  await Promise.resolve();
  expect(ready).toBe(false);
  pacer.back(1500);
  // Woken by the lines that came back, well before the stall timer would let it go anyway.
  expect(await Promise.race([waiting.then(() => "woken"), Bun.sleep(10).then(() => "stalled")])).toBe("woken");
  expect(ready).toBe(true);
});

test("when nothing comes back, the pipe goes on anyway", async () => {
  const pacer = new Pacer();
  pacer.sent(enc("/who\n".repeat(3000)));
  await pacer.room(); // resolves after a short stall, not never
  expect(countLines(enc("a\nb\n\nc"))).toBe(3);
});
