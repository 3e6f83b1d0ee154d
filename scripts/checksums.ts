// SHA256SUMS: the lines `sha256sum` writes and `sha256sum -c` (or `shasum -a 256 -c`) checks, one "HASH  NAME" per archive.

export function sha256(bytes: Uint8Array): string {
  return new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
}

/** Sorted by name, so the file does not depend on the order things were built in. */
export function formatSums(sums: ReadonlyMap<string, string>): string {
  return [...sums].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, hash]) => `${hash}  ${name}\n`).join("");
}

/** Name → hash; "HASH *NAME" (binary mode) is read too. A malformed line is an error, not a skipped line. */
export function parseSums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (!match) throw new Error(`SHA256SUMS: not a "HASH  NAME" line: ${line}`);
    sums.set(match[2]!, match[1]!);
  }
  return sums;
}
