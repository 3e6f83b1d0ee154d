// Zip archives (deflate, no zip64) in memory, written and read here: the Windows build ships as .zip, which Windows opens itself.
import { concat, type Entry, type Level } from "./tar.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;
const END = 0x06054b50;
const UTF8_NAMES = 1 << 11;
const MADE_BY_UNIX = (3 << 8) | 20; // so unzip on Unix keeps the modes in the external attributes

/** MS-DOS date and time (2-second steps), the only clock in zip's base format; UTC, so the bytes do not depend on TZ. */
function dosTime(seconds: number): { time: number; date: number } {
  const d = new Date(seconds * 1000);
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1),
    date: ((Math.max(d.getUTCFullYear(), 1980) - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

interface FileFields {
  method: number;
  time: number;
  date: number;
  crc: number;
  compressed: number;
  size: number;
  nameLength: number;
}

/** The nine fields a local header and its central directory entry share; the central entry has them 2 bytes later, after "made by". */
function putFileFields(view: DataView, at: number, file: FileFields): void {
  view.setUint16(at, 20, true); // version needed: 2.0, deflate
  view.setUint16(at + 2, UTF8_NAMES, true);
  view.setUint16(at + 4, file.method, true);
  view.setUint16(at + 6, file.time, true);
  view.setUint16(at + 8, file.date, true);
  view.setUint32(at + 10, file.crc, true);
  view.setUint32(at + 14, file.compressed, true);
  view.setUint32(at + 18, file.size, true);
  view.setUint16(at + 22, file.nameLength, true);
}

/** The entries as a .zip; mtime (seconds) is the same for all, so the same input gives the same bytes. */
export function writeZip(entries: Entry[], options: { mtime: number; level: Level }): Uint8Array {
  const { time, date } = dosTime(options.mtime);
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = encoder.encode(entry.path);
    const directory = entry.path.endsWith("/");
    const data = directory ? new Uint8Array(0) : Bun.deflateSync(entry.bytes as Uint8Array<ArrayBuffer>, { level: options.level });
    const file: FileFields = {
      method: directory ? 0 : 8,
      time,
      date,
      crc: directory ? 0 : Bun.hash.crc32(entry.bytes),
      compressed: data.length,
      size: directory ? 0 : entry.bytes.length,
      nameLength: name.length,
    };

    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, LOCAL, true);
    putFileFields(local, 4, file);
    // extra length: 0
    locals.push(new Uint8Array(local.buffer), name, data);

    const central = new DataView(new ArrayBuffer(46));
    central.setUint32(0, CENTRAL, true);
    central.setUint16(4, MADE_BY_UNIX, true);
    putFileFields(central, 6, file);
    // extra, comment, disk, internal attributes: all 0
    const unixMode = (directory ? 0o040000 : 0o100000) | entry.mode;
    central.setUint32(38, ((unixMode << 16) | (directory ? 0x10 : 0)) >>> 0, true);
    central.setUint32(42, offset, true);
    centrals.push(new Uint8Array(central.buffer), name);

    offset += 30 + name.length + data.length;
  }
  const directory = concat(centrals);
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, END, true);
  end.setUint16(8, entries.length, true);
  end.setUint16(10, entries.length, true);
  end.setUint32(12, directory.length, true);
  end.setUint32(16, offset, true);
  return concat([...locals, directory, new Uint8Array(end.buffer)]);
}

/** Reads back a zip through its central directory, checking each file's CRC. */
export function readZip(zip: Uint8Array): Entry[] {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let end = zip.length - 22;
  while (end >= 0 && view.getUint32(end, true) !== END) end--; // a comment may follow the record
  if (end < 0) throw new Error("zip: no end-of-central-directory record");
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const entries: Entry[] = [];
  for (let i = 0; i < count; i++) {
    if (view.getUint32(at, true) !== CENTRAL) throw new Error(`zip: bad central directory entry ${i}`);
    const method = view.getUint16(at + 10, true);
    const crc = view.getUint32(at + 16, true);
    const compressed = view.getUint32(at + 20, true);
    const nameLength = view.getUint16(at + 28, true);
    const skip = nameLength + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
    const path = decoder.decode(zip.subarray(at + 46, at + 46 + nameLength));
    const mode = (view.getUint32(at + 38, true) >>> 16) & 0o7777;
    const local = view.getUint32(at + 42, true);
    const start = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    const data = zip.subarray(start, start + compressed);
    const bytes = method === 8 ? Bun.inflateSync(data as Uint8Array<ArrayBuffer>) : method === 0 ? data.slice() : undefined;
    if (!bytes) throw new Error(`zip: ${path}: compression method ${method} is not supported`);
    if (!path.endsWith("/") && Bun.hash.crc32(bytes) !== crc) throw new Error(`zip: ${path}: CRC mismatch`);
    entries.push({ path, bytes, mode });
    at += 46 + skip;
  }
  return entries;
}
