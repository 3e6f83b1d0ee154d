// What kind of executable a file is, from its headers: ELF, Mach-O or PE, for which CPU, and (ELF) with which loader.
import type { Arch, Expected } from "./platforms.ts";

export interface Executable {
  format: "elf" | "macho" | "pe";
  /** x64, arm64, or the raw machine number when it is neither. */
  arch: Arch | string;
  interpreter?: string;
}

const ELF_MACHINES: Record<number, Arch> = { 0x3e: "x64", 0xb7: "arm64" };
const MACHO_CPUS: Record<number, Arch> = { 0x01000007: "x64", 0x0100000c: "arm64" };
const PE_MACHINES: Record<number, Arch> = { 0x8664: "x64", 0xaa64: "arm64" };
const PT_INTERP = 3;
const MH_EXECUTE = 2;

/** Why the bytes are not an executable, or what they are. Only 64-bit little-endian files, which is all chat ships. */
export function inspectExecutable(bytes: Uint8Array): Executable | { error: string } {
  if (bytes.length < 64) return { error: "too short to be an executable" };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

  if (view.getUint32(0) === 0x7f454c46) {
    if (bytes[4] !== 2 || bytes[5] !== 1) return { error: "ELF, but not 64-bit little-endian" };
    const machine = view.getUint16(0x12, true);
    const phoff = Number(view.getBigUint64(0x20, true));
    const phentsize = view.getUint16(0x36, true);
    const phnum = view.getUint16(0x38, true);
    let interpreter: string | undefined;
    for (let i = 0; i < phnum; i++) {
      const at = phoff + i * phentsize;
      if (at + 56 > bytes.length) return { error: "ELF program headers run past the end of the file" };
      if (view.getUint32(at, true) !== PT_INTERP) continue;
      const offset = Number(view.getBigUint64(at + 8, true));
      const size = Number(view.getBigUint64(at + 32, true));
      interpreter = new TextDecoder().decode(bytes.subarray(offset, offset + size)).replace(/\0+$/, "");
    }
    return { format: "elf", arch: ELF_MACHINES[machine] ?? `machine 0x${machine.toString(16)}`, interpreter };
  }

  if (view.getUint32(0, true) === 0xfeedfacf) {
    const cpu = view.getUint32(4, true);
    const filetype = view.getUint32(12, true);
    if (filetype !== MH_EXECUTE) return { error: `Mach-O, but file type ${filetype}, not an executable` };
    return { format: "macho", arch: MACHO_CPUS[cpu] ?? `cpu 0x${cpu.toString(16)}` };
  }

  if (bytes[0] === 0x4d && bytes[1] === 0x5a) {
    const pe = view.getUint32(0x3c, true);
    if (pe + 26 > bytes.length || view.getUint32(pe) !== 0x50450000) return { error: "MZ header without a PE signature" };
    const machine = view.getUint16(pe + 4, true);
    const optionalMagic = view.getUint16(pe + 24, true);
    if (optionalMagic !== 0x20b) return { error: `PE, but not PE32+ (optional header magic 0x${optionalMagic.toString(16)})` };
    return { format: "pe", arch: PE_MACHINES[machine] ?? `machine 0x${machine.toString(16)}` };
  }

  return { error: "neither ELF, Mach-O (64-bit) nor PE" };
}

/** "" when the file is what the platform needs, else what is wrong with it. */
export function executableMismatch(bytes: Uint8Array, expected: Expected): string {
  const found = inspectExecutable(bytes);
  if ("error" in found) return found.error;
  const wrong: string[] = [];
  if (found.format !== expected.format) wrong.push(`format ${found.format}, not ${expected.format}`);
  if (found.arch !== expected.arch) wrong.push(`architecture ${found.arch}, not ${expected.arch}`);
  if (expected.interpreter && found.interpreter !== expected.interpreter) wrong.push(`loader ${found.interpreter ?? "none"}, not ${expected.interpreter}`);
  return wrong.join("; ");
}
