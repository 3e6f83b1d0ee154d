// A release archive's layout: chat-VERSION-OS-ARCH/ holding the binary, README.md and LICENSE; packing one and reading one back.
import { join } from "node:path";
import { formatSums, sha256 } from "./checksums.ts";
import { archiveName, releaseStem, type Platform } from "./platforms.ts";
import { readTarGz, writeTarGz, type Entry, type Level } from "./tar.ts";
import { readZip, writeZip } from "./zip.ts";

/** Shipped beside the binary, from the top of the repository. */
export const DOCS = ["README.md", "LICENSE"] as const;

/** How the source README writes the GitHub repository it comes from, which a release fills in. */
export const REPOSITORY_PLACEHOLDER = "OWNER/chat";

/**
 * A document as an archive ships it: the README's `OWNER/chat` becomes the repository the release is made
 * from (`alice/chat`), so that its install line works as printed. Without a repository, as it is.
 */
export async function shippedDoc(root: string, doc: string, repository?: string): Promise<Uint8Array> {
  const file = Bun.file(join(root, doc));
  if (!(await file.exists())) throw new Error(`${doc} is missing from ${root}: every archive ships it`);
  if (doc !== "README.md" || repository === undefined) return await file.bytes();
  if (!/^[\w.-]+\/[\w.-]+$/.test(repository)) throw new Error(`the repository should be OWNER/NAME, not "${repository}"`);
  return new TextEncoder().encode((await file.text()).replaceAll(REPOSITORY_PLACEHOLDER, repository));
}

export interface Packed {
  name: string;
  path: string;
  size: number;
  sha256: string;
}

export interface PackOptions {
  binary: Uint8Array;
  version: string;
  platform: Platform;
  /** Where README.md and LICENSE are. */
  root: string;
  /** The GitHub repository (`OWNER/NAME`) the README's install line is to name. */
  repository?: string;
  outDir: string;
  /** Seconds since the epoch, stamped on every entry. */
  mtime: number;
  /** 9 for releases; tests pack with 1 to stay fast. */
  level: Level;
}

/** The entries of a platform's archive, in the order they are written. */
export async function releaseEntries(options: Omit<PackOptions, "outDir" | "mtime" | "level">): Promise<Entry[]> {
  const stem = releaseStem(options.version, options.platform);
  const entries: Entry[] = [
    { path: `${stem}/`, bytes: new Uint8Array(0), mode: 0o755 },
    { path: `${stem}/${options.platform.binary}`, bytes: options.binary, mode: 0o755 },
  ];
  for (const doc of DOCS) entries.push({ path: `${stem}/${doc}`, bytes: await shippedDoc(options.root, doc, options.repository), mode: 0o644 });
  return entries;
}

export async function pack(options: PackOptions): Promise<Packed> {
  const entries = await releaseEntries(options);
  const settings = { mtime: options.mtime, level: options.level };
  const bytes = options.platform.archive === "zip" ? writeZip(entries, settings) : writeTarGz(entries, settings);
  const name = archiveName(options.version, options.platform);
  const path = join(options.outDir, name);
  await Bun.write(path, bytes);
  return { name, path, size: bytes.length, sha256: sha256(bytes) };
}

/** A size as release and release:check print it. */
export function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

export function unpack(bytes: Uint8Array, platform: Platform): Entry[] {
  return platform.archive === "zip" ? readZip(bytes) : readTarGz(bytes);
}

export async function writeSums(outDir: string, packed: readonly Packed[]): Promise<string> {
  const path = join(outDir, "SHA256SUMS");
  await Bun.write(path, formatSums(new Map(packed.map((p) => [p.name, p.sha256]))));
  return path;
}
