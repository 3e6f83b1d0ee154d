// The release targets: the name install.sh looks for, Bun's name for the target, and what its executable must be.

export type Arch = "x64" | "arm64";

/** What the first bytes of a good binary for the platform say (see executable.ts). */
export interface Expected {
  format: "elf" | "macho" | "pe";
  arch: Arch;
  /** ELF only: the dynamic loader, which tells a glibc build from a musl one. */
  interpreter?: string;
}

export interface Platform {
  /** OS-ARCH as in the archive name; install.sh computes the same string from `uname`. */
  name: string;
  bunTarget: string;
  archive: "tar.gz" | "zip";
  /** The file name inside the archive. */
  binary: "chat" | "chat.exe";
  expected: Expected;
}

export const PLATFORMS: readonly Platform[] = [
  {
    name: "linux-x64",
    bunTarget: "bun-linux-x64",
    archive: "tar.gz",
    binary: "chat",
    expected: { format: "elf", arch: "x64", interpreter: "/lib64/ld-linux-x86-64.so.2" },
  },
  {
    name: "linux-x64-musl",
    bunTarget: "bun-linux-x64-musl",
    archive: "tar.gz",
    binary: "chat",
    expected: { format: "elf", arch: "x64", interpreter: "/lib/ld-musl-x86_64.so.1" },
  },
  {
    name: "linux-arm64",
    bunTarget: "bun-linux-arm64",
    archive: "tar.gz",
    binary: "chat",
    expected: { format: "elf", arch: "arm64", interpreter: "/lib/ld-linux-aarch64.so.1" },
  },
  { name: "darwin-x64", bunTarget: "bun-darwin-x64", archive: "tar.gz", binary: "chat", expected: { format: "macho", arch: "x64" } },
  { name: "darwin-arm64", bunTarget: "bun-darwin-arm64", archive: "tar.gz", binary: "chat", expected: { format: "macho", arch: "arm64" } },
  { name: "windows-x64", bunTarget: "bun-windows-x64", archive: "zip", binary: "chat.exe", expected: { format: "pe", arch: "x64" } },
];

export function platformNamed(name: string): Platform {
  const platform = PLATFORMS.find((p) => p.name === name);
  if (!platform) throw new Error(`no platform "${name}"; the platforms are ${PLATFORMS.map((p) => p.name).join(", ")}`);
  return platform;
}

/** `chat-0.1.0-linux-x64`: the archive's name without extension, and the directory inside it. */
export function releaseStem(version: string, platform: Platform): string {
  return `chat-${version}-${platform.name}`;
}

export function archiveName(version: string, platform: Platform): string {
  return `${releaseStem(version, platform)}.${platform.archive}`;
}

/** The platform of the machine running this, as install.sh would pick it (glibc assumed on Linux). */
export function hostPlatform(): Platform | undefined {
  const os = { linux: "linux", darwin: "darwin", win32: "windows" }[process.platform as string];
  const arch = { x64: "x64", arm64: "arm64" }[process.arch as string];
  return PLATFORMS.find((p) => p.name === `${os}-${arch}`);
}
