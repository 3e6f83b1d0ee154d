// Running the linux-arm64 build on an x86-64 Linux machine: qemu user emulation with Debian's arm64 C and C++ libraries.
import { chmod } from "node:fs/promises";
import { existsSync } from "node:fs";
import { ensurePackages } from "./apt.ts";

const QEMU = "qemu-aarch64-static";
/** Where libc6-arm64-cross and libstdc++6-arm64-cross put the libraries the arm64 build links against. */
const SYSROOT = "/usr/aarch64-linux-gnu";

export function ensureArm64Emulator(): void {
  ensurePackages([
    { package: "qemu-user-static", present: () => Bun.which(QEMU) !== null },
    { package: "libc6-arm64-cross", present: () => existsSync(`${SYSROOT}/lib/ld-linux-aarch64.so.1`) },
    { package: "libstdc++6-arm64-cross", present: () => existsSync(`${SYSROOT}/lib/libstdc++.so.6`) },
  ]);
}

/**
 * Writes an executable script that runs the arm64 binary under qemu, for the tests' CHAT_BINARY.
 * exec, so that the tests' signals reach qemu, which passes them on to the program.
 */
export async function writeEmulatedCommand(binary: string, script: string): Promise<string> {
  await Bun.write(script, `#!/bin/sh\nexec ${QEMU} -L ${SYSROOT} '${binary}' "$@"\n`);
  await chmod(script, 0o755);
  return script;
}
