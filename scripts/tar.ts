// Gzipped tar (ustar) in memory, written and read here: Bun.Archive cannot set a file's mode, and the binary must be executable.
import type { ZlibCompressionOptions } from "bun";

/** A file in an archive; a path ending in "/" is a directory. */
export interface Entry {
  path: string;
  bytes: Uint8Array;
  /** Permission bits, e.g. 0o755. */
  mode: number;
}

/** zlib's 1 (fast) to 9 (small). */
export type Level = NonNullable<ZlibCompressionOptions["level"]>;

const BLOCK = 512;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The parts one after another in one array; zip.ts builds its archives with it too. */
export function concat(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, "0") + "\0";
}

function header(entry: Entry, mtime: number): Uint8Array {
  const name = encoder.encode(entry.path);
  if (name.length > 100) throw new Error(`tar: path longer than 100 bytes: ${entry.path}`);
  const block = new Uint8Array(BLOCK);
  const put = (offset: number, text: string) => block.set(encoder.encode(text), offset);
  block.set(name, 0);
  put(100, octal(entry.mode, 8));
  put(108, octal(0, 8)); // uid
  put(116, octal(0, 8)); // gid
  put(124, octal(entry.path.endsWith("/") ? 0 : entry.bytes.length, 12));
  put(136, octal(mtime, 12));
  put(148, "        "); // the checksum is computed with its own field as spaces
  put(156, entry.path.endsWith("/") ? "5" : "0");
  put(257, "ustar\u000000");
  const sum = block.reduce((total, byte) => total + byte, 0);
  put(148, octal(sum, 7) + " ");
  return block;
}

/** The entries as a .tar.gz; mtime (seconds) is the same for all, so the same input gives the same bytes. */
export function writeTarGz(entries: Entry[], options: { mtime: number; level: Level }): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const entry of entries) {
    parts.push(header(entry, options.mtime));
    if (entry.path.endsWith("/")) continue;
    parts.push(entry.bytes);
    const pad = (BLOCK - (entry.bytes.length % BLOCK)) % BLOCK;
    if (pad) parts.push(new Uint8Array(pad));
  }
  parts.push(new Uint8Array(2 * BLOCK)); // end of archive
  return Bun.gzipSync(concat(parts), { level: options.level });
}

function field(block: Uint8Array, offset: number, length: number): string {
  const bytes = block.subarray(offset, offset + length);
  const end = bytes.indexOf(0);
  return decoder.decode(end === -1 ? bytes : bytes.subarray(0, end));
}

/** Reads back what writeTarGz (or any plain ustar writer) made: files and directories only. */
export function readTarGz(gz: Uint8Array): Entry[] {
  const tar = Bun.gunzipSync(gz as Uint8Array<ArrayBuffer>);
  const entries: Entry[] = [];
  for (let offset = 0; offset + BLOCK <= tar.length; ) {
    const block = tar.subarray(offset, offset + BLOCK);
    if (block.every((byte) => byte === 0)) break;
    const prefix = field(block, 345, 155);
    const name = field(block, 0, 100);
    const size = parseInt(field(block, 124, 12).trim() || "0", 8);
    const type = String.fromCharCode(block[156]!);
    offset += BLOCK;
    if (type === "0" || type === "\0" || type === "5") {
      const path = prefix ? `${prefix}/${name}` : name;
      entries.push({ path, bytes: tar.slice(offset, offset + size), mode: parseInt(field(block, 100, 8).trim(), 8) });
    }
    offset += Math.ceil(size / BLOCK) * BLOCK;
  }
  return entries;
}
