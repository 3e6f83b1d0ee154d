// Telling executables apart by their headers: what the release check relies on for builds it cannot run.
import { expect, test } from "bun:test";
import { executableMismatch, inspectExecutable } from "../../scripts/executable.ts";
import { hostPlatform, platformNamed } from "../../scripts/platforms.ts";
import { CHAT } from "../helpers.ts";

function elf(machine: number, interpreter: string): Uint8Array {
  const bytes = new Uint8Array(256);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 0x7f454c46);
  bytes[4] = 2; // 64-bit
  bytes[5] = 1; // little-endian
  view.setUint16(0x12, machine, true);
  view.setBigUint64(0x20, 64n, true); // program headers right after the ELF header
  view.setUint16(0x36, 56, true);
  view.setUint16(0x38, 1, true);
  view.setUint32(64, 3, true); // PT_INTERP
  view.setBigUint64(64 + 8, 128n, true);
  view.setBigUint64(64 + 32, BigInt(interpreter.length + 1), true);
  bytes.set(new TextEncoder().encode(interpreter), 128);
  return bytes;
}

function macho(cpu: number, filetype = 2): Uint8Array {
  const bytes = new Uint8Array(64);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 0xfeedfacf, true);
  view.setUint32(4, cpu, true);
  view.setUint32(12, filetype, true);
  return bytes;
}

function pe(machine: number, optionalMagic = 0x20b): Uint8Array {
  const bytes = new Uint8Array(128);
  const view = new DataView(bytes.buffer);
  bytes.set([0x4d, 0x5a]);
  view.setUint32(0x3c, 0x40, true);
  view.setUint32(0x40, 0x50450000);
  view.setUint16(0x44, machine, true);
  view.setUint16(0x40 + 24, optionalMagic, true);
  return bytes;
}

test.each([
  ["ELF x86-64, glibc", elf(0x3e, "/lib64/ld-linux-x86-64.so.2"), { format: "elf", arch: "x64", interpreter: "/lib64/ld-linux-x86-64.so.2" }],
  ["ELF aarch64, musl", elf(0xb7, "/lib/ld-musl-aarch64.so.1"), { format: "elf", arch: "arm64", interpreter: "/lib/ld-musl-aarch64.so.1" }],
  ["ELF riscv", elf(0xf3, "/lib/ld-linux-riscv64-lp64d.so.1"), { format: "elf", arch: "machine 0xf3", interpreter: "/lib/ld-linux-riscv64-lp64d.so.1" }],
  ["Mach-O arm64", macho(0x0100000c), { format: "macho", arch: "arm64" }],
  ["Mach-O x86-64", macho(0x01000007), { format: "macho", arch: "x64" }],
  ["PE x86-64", pe(0x8664), { format: "pe", arch: "x64" }],
  ["PE arm64", pe(0xaa64), { format: "pe", arch: "arm64" }],
] as const)("%s", (_, bytes, expected) => {
  expect(inspectExecutable(bytes)).toEqual({ ...expected });
});

test.each([
  ["a text file", new TextEncoder().encode("#!/bin/sh\necho this is not a binary, only a script that says so\n"), "neither ELF, Mach-O (64-bit) nor PE"],
  ["a Mach-O object file", macho(0x0100000c, 1), "Mach-O, but file type 1, not an executable"],
  ["a 32-bit PE", pe(0x14c, 0x10b), "PE, but not PE32+ (optional header magic 0x10b)"],
  ["a 32-bit ELF", elf(0x3e, "/lib/ld-linux.so.2").fill(1, 4, 5), "ELF, but not 64-bit little-endian"],
  ["an MZ stub with no PE header", pe(0x8664).fill(0, 0x40, 0x44), "MZ header without a PE signature"],
  // A sound ELF header cut short of its 64 bytes: refused for its length, not for what it says.
  ["too short", elf(0x3e, "/lib64/ld-linux-x86-64.so.2").slice(0, 60), "too short to be an executable"],
])("%s is refused", (_, bytes, error) => {
  expect(inspectExecutable(bytes)).toEqual({ error });
});

test("a mismatch names every difference", () => {
  expect(executableMismatch(pe(0x8664), platformNamed("windows-x64").expected)).toBe("");
  expect(executableMismatch(macho(0x01000007), platformNamed("darwin-arm64").expected)).toBe("architecture x64, not arm64");
  expect(executableMismatch(elf(0x3e, "/lib64/ld-linux-x86-64.so.2"), platformNamed("linux-x64-musl").expected)).toBe(
    "loader /lib64/ld-linux-x86-64.so.2, not /lib/ld-musl-x86_64.so.1",
  );
  expect(executableMismatch(pe(0x8664), platformNamed("linux-arm64").expected)).toBe(
    "format pe, not elf; architecture x64, not arm64; loader none, not /lib/ld-linux-aarch64.so.1",
  );
});

test("the binary under test is what this machine's platform expects", async () => {
  const host = hostPlatform();
  if (!host) throw new Error(`no release platform for ${process.platform}-${process.arch}`);
  expect(executableMismatch(await Bun.file(CHAT).bytes(), host.expected)).toBe("");
});
