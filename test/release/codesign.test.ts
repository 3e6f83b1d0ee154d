// Mach-O code signatures: signAdHoc seals every page, and checkCodeSignature notices any byte that changed since.
import { expect, test } from "bun:test";
import { checkCodeSignature, signAdHoc } from "../../scripts/codesign.ts";

const PAGE = 4096;

/** A skeletal Mach-O: __TEXT, __LINKEDIT and an empty LC_CODE_SIGNATURE, with `code` bytes before the signature. */
function machO(code: number): Uint8Array {
  const bytes = crypto.getRandomValues(new Uint8Array(code));
  bytes.fill(0, 0, 512);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 0xfeedfacf, true);
  view.setUint32(4, 0x0100000c, true); // arm64
  view.setUint32(12, 2, true); // executable
  view.setUint32(16, 3, true); // three load commands
  const segment = (at: number, name: string, fileoff: number, filesize: number) => {
    view.setUint32(at, 0x19, true);
    view.setUint32(at + 4, 72, true);
    bytes.set(new TextEncoder().encode(name), at + 8);
    view.setBigUint64(at + 40, BigInt(fileoff), true);
    view.setBigUint64(at + 48, BigInt(filesize), true);
  };
  segment(32, "__TEXT", 0, 2 * PAGE);
  segment(104, "__LINKEDIT", 2 * PAGE, code - 2 * PAGE);
  view.setUint32(176, 0x1d, true);
  view.setUint32(180, 16, true);
  view.setUint32(184, code, true); // dataoff: the signature goes right after the code
  view.setUint32(188, 0, true);
  return bytes;
}

test("a signed file checks out: every page up to the signature is sealed", () => {
  const signed = signAdHoc(machO(3 * PAGE + 112));
  expect(checkCodeSignature(signed)).toEqual({ codeLimit: 3 * PAGE + 112, pages: 4, pageSize: PAGE, flags: 0x20002 });
});

test("signing is deterministic, and signing a signed file again changes nothing", () => {
  const unsigned = machO(2 * PAGE + 16);
  const once = signAdHoc(unsigned);
  expect(Bun.hash(signAdHoc(unsigned))).toBe(Bun.hash(once));
  expect(Bun.hash(signAdHoc(once))).toBe(Bun.hash(once));
});

test("one changed byte is found, in the page it is in", () => {
  const signed = signAdHoc(machO(3 * PAGE + 112));
  signed[2 * PAGE + 7]! ^= 1;
  expect(checkCodeSignature(signed)).toEqual({ error: "page 2 of 4 does not match its hash" });
});

test("a changed header is found too: page 0 holds the load commands", () => {
  const signed = signAdHoc(machO(2 * PAGE + 16));
  new DataView(signed.buffer).setUint32(4, 0x01000007, true); // now claims x86-64
  expect(checkCodeSignature(signed)).toEqual({ error: "page 0 of 3 does not match its hash" });
});

test("bytes the signature does not cover are refused", () => {
  const signed = signAdHoc(machO(2 * PAGE + 16));
  const longer = new Uint8Array(signed.length + 5);
  longer.set(signed);
  expect(checkCodeSignature(longer)).toEqual({ error: "5 bytes follow the signature" });

  // A CodeDirectory that stops short of the signature: what Bun 1.4.4 leaves in darwin-x64 builds.
  const short = signAdHoc(machO(2 * PAGE + 16));
  const view = new DataView(short.buffer);
  const directory = 2 * PAGE + 16 + 20;
  view.setUint32(directory + 32, 2 * PAGE);
  expect(checkCodeSignature(short)).toEqual({ error: `the signature seals ${2 * PAGE} bytes, but the code runs to ${2 * PAGE + 16}` });
});

test("an unsigned file, and a file that is not Mach-O, are told apart", () => {
  const unsigned = machO(2 * PAGE);
  new DataView(unsigned.buffer).setUint32(176, 0x2, true); // the signature command becomes a symbol table
  expect(checkCodeSignature(unsigned)).toEqual({ error: "not signed: no LC_CODE_SIGNATURE" });
  expect(checkCodeSignature(new Uint8Array(64))).toEqual({ error: "not a 64-bit Mach-O file" });
  expect(() => signAdHoc(new Uint8Array(64))).toThrow("not a 64-bit Mach-O file");
});
