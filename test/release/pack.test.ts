// Release archives: the tar.gz and zip writers read back what they wrote, system tools agree, and SHA256SUMS checks out.
import { afterAll, expect, test } from "bun:test";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatSums, parseSums, sha256 } from "../../scripts/checksums.ts";
import { pack, releaseEntries, unpack, writeSums } from "../../scripts/pack.ts";
import { platformNamed } from "../../scripts/platforms.ts";
import { readTarGz, writeTarGz, type Entry } from "../../scripts/tar.ts";
import { readZip, writeZip } from "../../scripts/zip.ts";
import { ROOT } from "../helpers.ts";

const scratch = await mkdtemp(join(tmpdir(), "chat-pack-"));
afterAll(() => rm(scratch, { recursive: true, force: true }));

const encoder = new TextEncoder();
const random = crypto.getRandomValues(new Uint8Array(70_000)); // incompressible, spans many tar blocks
const entries: Entry[] = [
  { path: "chat-9.9.9-test/", bytes: new Uint8Array(0), mode: 0o755 },
  { path: "chat-9.9.9-test/chat", bytes: random, mode: 0o755 },
  { path: "chat-9.9.9-test/README.md", bytes: encoder.encode("# chat\n\nnamé with ü\n"), mode: 0o644 },
  { path: "chat-9.9.9-test/empty", bytes: new Uint8Array(0), mode: 0o600 },
];
const settings = { mtime: 1_700_000_000, level: 1 } as const;

function summary(list: Entry[]) {
  return list.map((e) => ({ path: e.path, mode: e.mode.toString(8), sha256: sha256(e.bytes) }));
}

test("tar.gz: read back as written, modes included", () => {
  expect(summary(readTarGz(writeTarGz(entries, settings)))).toEqual(summary(entries));
});

test("zip: read back as written, modes included", () => {
  expect(summary(readZip(writeZip(entries, settings)))).toEqual(summary(entries));
});

test("the same input gives the same bytes", () => {
  expect(sha256(writeTarGz(entries, settings))).toBe(sha256(writeTarGz(entries, settings)));
  expect(sha256(writeZip(entries, settings))).toBe(sha256(writeZip(entries, settings)));
  expect(sha256(writeZip(entries, settings))).not.toBe(sha256(writeZip(entries, { ...settings, mtime: settings.mtime + 60 })));
});

test("a damaged zip is refused, not read as something else", () => {
  // Level 0 stores the bytes as they are, so the damage always reaches the CRC check; deflated
  // random bytes sometimes make the inflater fail first, with a message that names no file.
  const zip = writeZip(entries, { ...settings, level: 0 });
  zip[30 + "chat-9.9.9-test/".length + 30 + "chat-9.9.9-test/chat".length + 1000]! ^= 0xff; // inside chat's data
  expect(() => readZip(zip)).toThrow("zip: chat-9.9.9-test/chat: CRC mismatch");
});

test("the system's tar extracts the archive with the binary executable", async () => {
  const archive = join(scratch, "t.tar.gz");
  await Bun.write(archive, writeTarGz(entries, settings));
  const out = join(scratch, "tar-out");
  await Bun.$`mkdir -p ${out} && tar -xzf ${archive} -C ${out}`;
  const binary = join(out, "chat-9.9.9-test/chat");
  expect(sha256(await Bun.file(binary).bytes())).toBe(sha256(random));
  expect((await stat(binary)).mode & 0o777).toBe(0o755);
  expect(await Bun.file(join(out, "chat-9.9.9-test/README.md")).text()).toBe("# chat\n\nnamé with ü\n");
  expect((await stat(binary)).mtimeMs).toBe(settings.mtime * 1000);
});

test("SHA256SUMS is sorted, in sha256sum's format, and the system's checker accepts it", async () => {
  const dir = join(scratch, "sums");
  const b = await pack({ binary: random, version: "9.9.9", platform: platformNamed("windows-x64"), root: ROOT, outDir: dir, ...settings });
  const a = await pack({ binary: random, version: "9.9.9", platform: platformNamed("linux-arm64"), root: ROOT, outDir: dir, ...settings });
  const path = await writeSums(dir, [b, a]);
  const text = await Bun.file(path).text();
  expect(text).toBe(`${a.sha256}  chat-9.9.9-linux-arm64.tar.gz\n${b.sha256}  chat-9.9.9-windows-x64.zip\n`);
  expect(a.sha256).toBe(sha256(await Bun.file(a.path).bytes()));
  const check = Bun.which("sha256sum") ? ["sha256sum", "-c", "SHA256SUMS"] : ["shasum", "-a", "256", "-c", "SHA256SUMS"];
  const proc = Bun.spawnSync(check, { cwd: dir });
  expect(proc.stdout.toString()).toBe("chat-9.9.9-linux-arm64.tar.gz: OK\nchat-9.9.9-windows-x64.zip: OK\n");
  expect(proc.exitCode).toBe(0);
});

test("SHA256SUMS parsing: both modes read, anything else refused", () => {
  const hash = "ab".repeat(32);
  expect(parseSums(`${hash}  a.tar.gz\n${hash} *b.zip\n\n`)).toEqual(new Map([["a.tar.gz", hash], ["b.zip", hash]]));
  expect(parseSums(formatSums(new Map([["z", hash], ["a", hash]])))).toEqual(new Map([["a", hash], ["z", hash]]));
  expect(() => parseSums(`${hash.slice(1)}  a.tar.gz\n`)).toThrow("not a");
  expect(() => parseSums(`${hash}\ta.tar.gz\n`)).toThrow("not a");
});

test("an archive holds the binary, README.md and LICENSE in chat-VERSION-OS-ARCH/", async () => {
  const platform = platformNamed("windows-x64");
  const { path } = await pack({ binary: random, version: "9.9.9", platform, root: ROOT, outDir: scratch, ...settings });
  const inside = unpack(await Bun.file(path).bytes(), platform);
  expect(inside.map((e) => `${e.path} ${e.mode.toString(8)}`)).toEqual([
    "chat-9.9.9-windows-x64/ 755",
    "chat-9.9.9-windows-x64/chat.exe 755",
    "chat-9.9.9-windows-x64/README.md 644",
    "chat-9.9.9-windows-x64/LICENSE 644",
  ]);
  expect(inside[3]!.bytes).toEqual(await Bun.file(join(ROOT, "LICENSE")).bytes());
});

test("the README an archive ships names the repository the release is made from, in place of OWNER/chat", async () => {
  const source = await Bun.file(join(ROOT, "README.md")).text();
  expect(source).toContain("https://github.com/OWNER/chat/releases/latest/download/install.sh");
  const platform = platformNamed("linux-x64");
  const readme = (list: Entry[]) => new TextDecoder().decode(list.find((e) => e.path.endsWith("/README.md"))!.bytes);
  const shipped = readme(await releaseEntries({ binary: random, version: "9.9.9", platform, root: ROOT, repository: "alice/chat-fork" }));
  expect(shipped).toContain("curl -fsSL https://github.com/alice/chat-fork/releases/latest/download/install.sh | sh");
  expect(shipped).not.toContain("OWNER/chat");
  expect(shipped.replaceAll("alice/chat-fork", "OWNER/chat")).toBe(source); // nothing else changes
  expect(readme(await releaseEntries({ binary: random, version: "9.9.9", platform, root: ROOT }))).toBe(source);
  await expect(releaseEntries({ binary: random, version: "9.9.9", platform, root: ROOT, repository: "not a repo" })).rejects.toThrow(
    'the repository should be OWNER/NAME, not "not a repo"',
  );
});

test("packing without README.md fails and says so", async () => {
  const promise = releaseEntries({ binary: random, version: "9.9.9", platform: platformNamed("linux-x64"), root: scratch });
  await expect(promise).rejects.toThrow(`README.md is missing from ${scratch}: every archive ships it`);
});

test("packing with README.md but without LICENSE fails and says so", async () => {
  const root = join(scratch, "no-license");
  await Bun.write(join(root, "README.md"), "# chat\n");
  const promise = releaseEntries({ binary: random, version: "9.9.9", platform: platformNamed("linux-x64"), root });
  await expect(promise).rejects.toThrow(`LICENSE is missing from ${root}: every archive ships it`);
});
