// Whether a Mach-O's embedded code signature seals its bytes. macOS on Apple silicon kills (SIGKILL, exit 137) a binary
// whose page hashes do not match, and `bun build --compile` has shipped such binaries; this checks them without a Mac.

const LC_CODE_SIGNATURE = 0x1d;
const SUPERBLOB = 0xfade0cc0;
const CODEDIRECTORY = 0xfade0c02;
const SLOT_CODEDIRECTORY = 0;
const SLOT_ALTERNATE_CODEDIRECTORIES = 0x1000;
const HASHES: Record<number, { algorithm: "sha1" | "sha256"; size: number }> = {
  1: { algorithm: "sha1", size: 20 },
  2: { algorithm: "sha256", size: 32 },
};

/** What the signature's header says, for reports. */
export interface Signature {
  codeLimit: number;
  pages: number;
  pageSize: number;
  flags: number;
}

function digest(algorithm: "sha1" | "sha256", bytes: Uint8Array): Uint8Array {
  return new Bun.CryptoHasher(algorithm).update(bytes).digest() as Uint8Array;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** The signature when every code page and sealed blob matches its hash; otherwise what does not. */
export function checkCodeSignature(bytes: Uint8Array): Signature | { error: string } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 32 || view.getUint32(0, true) !== 0xfeedfacf) return { error: "not a 64-bit Mach-O file" };

  // Load commands (little-endian, like the rest of the header) follow the 32-byte header.
  const count = view.getUint32(16, true);
  let signatureAt: number | undefined;
  let signatureSize = 0;
  for (let i = 0, at = 32; i < count; i++) {
    if (at + 8 > bytes.length) return { error: "load commands run past the end of the file" };
    if (view.getUint32(at, true) === LC_CODE_SIGNATURE) {
      signatureAt = view.getUint32(at + 8, true);
      signatureSize = view.getUint32(at + 12, true);
    }
    at += view.getUint32(at + 4, true);
  }
  if (signatureAt === undefined) return { error: "not signed: no LC_CODE_SIGNATURE" };
  if (signatureAt + signatureSize > bytes.length) return { error: "the signature runs past the end of the file" };
  if (signatureAt + signatureSize < bytes.length) return { error: `${bytes.length - signatureAt - signatureSize} bytes follow the signature` };

  // The signature itself is big-endian: a SuperBlob indexing its blobs.
  if (view.getUint32(signatureAt) !== SUPERBLOB) return { error: "the signature is not an embedded-signature SuperBlob" };
  const blobs = new Map<number, Uint8Array>();
  for (let i = 0, n = view.getUint32(signatureAt + 8); i < n; i++) {
    const type = view.getUint32(signatureAt + 12 + i * 8);
    const start = signatureAt + view.getUint32(signatureAt + 16 + i * 8);
    blobs.set(type, bytes.subarray(start, start + view.getUint32(start + 4)));
  }
  const directories = [...blobs].filter(([type]) => type === SLOT_CODEDIRECTORY || (type >= SLOT_ALTERNATE_CODEDIRECTORIES && type < SLOT_ALTERNATE_CODEDIRECTORIES + 5));
  if (directories.length === 0) return { error: "the signature has no CodeDirectory" };

  let primary: Signature | undefined;
  for (const [, directory] of directories) {
    const cd = new DataView(directory.buffer, directory.byteOffset, directory.byteLength);
    if (cd.getUint32(0) !== CODEDIRECTORY) return { error: "a CodeDirectory slot holds something else" };
    const version = cd.getUint32(8);
    const flags = cd.getUint32(12);
    const hashOffset = cd.getUint32(16);
    const specialSlots = cd.getUint32(24);
    const pages = cd.getUint32(28);
    const codeLimit = version >= 0x20300 && cd.getUint32(32) === 0 ? Number(cd.getBigUint64(56)) : cd.getUint32(32);
    const hash = HASHES[cd.getUint8(37)];
    const pageSize = 2 ** cd.getUint8(39);
    if (!hash || hash.size !== cd.getUint8(36)) return { error: `unknown hash type ${cd.getUint8(37)}` };
    // Everything before the signature must be sealed; bytes beyond codeLimit could be changed unnoticed.
    if (codeLimit !== signatureAt) return { error: `the signature seals ${codeLimit} bytes, but the code runs to ${signatureAt}` };
    if (pages !== Math.ceil(codeLimit / pageSize)) return { error: `${pages} page hashes for ${codeLimit} bytes in ${pageSize}-byte pages` };
    const slot = (index: number) => directory.subarray(hashOffset + index * hash.size, hashOffset + (index + 1) * hash.size);
    for (let page = 0; page < pages; page++) {
      const code = bytes.subarray(page * pageSize, Math.min((page + 1) * pageSize, codeLimit));
      if (!equal(digest(hash.algorithm, code), slot(page))) return { error: `page ${page} of ${pages} does not match its hash` };
    }
    // Special slots count backwards from the code slots: slot -N seals the blob of type N (2 requirements, 5 entitlements, ...).
    for (const [type, blob] of blobs) {
      if (type === SLOT_CODEDIRECTORY || type > specialSlots || type === 0x10000) continue;
      if (!equal(digest(hash.algorithm, blob), slot(-type))) return { error: `the blob of type ${type} does not match its hash` };
    }
    primary ??= { codeLimit, pages, pageSize, flags };
  }
  return primary!;
}

const LC_SEGMENT_64 = 0x19;
const CS_ADHOC = 0x2;
const CS_LINKER_SIGNED = 0x20000;
const CS_EXECSEG_MAIN_BINARY = 0x1;
const PAGE_SHIFT = 12;
const SEGMENT_ALIGN = 0x4000; // arm64's 16 KiB pages, a multiple of x86-64's 4 KiB

/**
 * The file with a fresh ad-hoc signature (no identity, as the linker and `bun build` write one on Apple silicon)
 * replacing the one it has: everything before the old signature is sealed page by page with SHA-256.
 */
export function signAdHoc(bytes: Uint8Array, identifier = "chat"): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 32 || view.getUint32(0, true) !== 0xfeedfacf) throw new Error("not a 64-bit Mach-O file");
  let signatureCommand: number | undefined;
  let linkedit: number | undefined;
  let textSize = 0n;
  for (let i = 0, at = 32, n = view.getUint32(16, true); i < n; i++) {
    const cmd = view.getUint32(at, true);
    if (cmd === LC_CODE_SIGNATURE) signatureCommand = at;
    if (cmd === LC_SEGMENT_64) {
      const name = new TextDecoder().decode(bytes.subarray(at + 8, at + 24)).replace(/\0+$/, "");
      if (name === "__LINKEDIT") linkedit = at;
      if (name === "__TEXT") textSize = view.getBigUint64(at + 48, true);
    }
    at += view.getUint32(at + 4, true);
  }
  if (signatureCommand === undefined || linkedit === undefined) throw new Error("no LC_CODE_SIGNATURE or __LINKEDIT to sign into");

  const codeLimit = view.getUint32(signatureCommand + 8, true);
  const pages = Math.ceil(codeLimit / 2 ** PAGE_SHIFT);
  const ident = new TextEncoder().encode(`${identifier}\0`);
  const headerSize = 88; // CodeDirectory version 0x20400, up to execSegFlags
  const hashOffset = headerSize + ident.length;
  const directorySize = hashOffset + pages * 32;
  const signatureSize = 20 + directorySize; // SuperBlob header, one index entry, the CodeDirectory

  // The signature's size is in the header, and the header is in page 0: fix the sizes first, then hash.
  const out = new Uint8Array(codeLimit + signatureSize);
  out.set(bytes.subarray(0, codeLimit));
  const o = new DataView(out.buffer);
  o.setUint32(signatureCommand + 12, signatureSize, true);
  const linkeditSize = BigInt(codeLimit + signatureSize) - o.getBigUint64(linkedit + 40, true);
  o.setBigUint64(linkedit + 48, linkeditSize, true);
  o.setBigUint64(linkedit + 32, ((linkeditSize + BigInt(SEGMENT_ALIGN - 1)) / BigInt(SEGMENT_ALIGN)) * BigInt(SEGMENT_ALIGN), true);

  const blob = codeLimit;
  o.setUint32(blob, SUPERBLOB);
  o.setUint32(blob + 4, signatureSize);
  o.setUint32(blob + 8, 1);
  o.setUint32(blob + 12, SLOT_CODEDIRECTORY);
  o.setUint32(blob + 16, 20);
  const cd = blob + 20;
  o.setUint32(cd, CODEDIRECTORY);
  o.setUint32(cd + 4, directorySize);
  o.setUint32(cd + 8, 0x20400);
  o.setUint32(cd + 12, CS_ADHOC | CS_LINKER_SIGNED);
  o.setUint32(cd + 16, hashOffset);
  o.setUint32(cd + 20, headerSize);
  o.setUint32(cd + 24, 0); // no special slots: no requirements, no entitlements
  o.setUint32(cd + 28, pages);
  o.setUint32(cd + 32, codeLimit);
  o.setUint8(cd + 36, 32);
  o.setUint8(cd + 37, 2); // SHA-256
  o.setUint8(cd + 39, PAGE_SHIFT);
  o.setBigUint64(cd + 72, textSize); // execSegLimit: the executable segment is __TEXT
  o.setBigUint64(cd + 80, BigInt(CS_EXECSEG_MAIN_BINARY));
  out.set(ident, cd + headerSize);
  for (let page = 0; page < pages; page++) {
    const code = out.subarray(page * 2 ** PAGE_SHIFT, Math.min((page + 1) * 2 ** PAGE_SHIFT, codeLimit));
    out.set(digest("sha256", code), cd + hashOffset + page * 32);
  }
  return out;
}
