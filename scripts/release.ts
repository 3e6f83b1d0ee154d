// `npm run release`: compiles chat for every platform and packs dist/release/chat-VERSION-OS-ARCH.{tar.gz,zip} and SHA256SUMS.
import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pkg from "../package.json" with { type: "json" };
import { checkCodeSignature, signAdHoc } from "./codesign.ts";
import { mib, pack, writeSums, type Packed } from "./pack.ts";
import { PLATFORMS, platformNamed, type Platform } from "./platforms.ts";

const ROOT = join(import.meta.dir, "..");

const { values } = parseArgs({
  options: {
    out: { type: "string", default: "dist/release" },
    /** e.g. --only linux-x64,windows-x64 for a quicker local run; a release builds all. */
    only: { type: "string" },
    /** OWNER/NAME, written into the README each archive ships; GitHub Actions sets GITHUB_REPOSITORY. */
    repository: { type: "string", default: process.env.GITHUB_REPOSITORY || undefined },
  },
});

const platforms = values.only ? values.only.split(",").map(platformNamed) : PLATFORMS;
const outDir = join(ROOT, values.out!);
const buildDir = join(outDir, ".build");

/** Every entry gets the last commit's time, so rebuilding the same commit gives the same archives. */
function sourceDate(): number {
  if (process.env.SOURCE_DATE_EPOCH) return Number(process.env.SOURCE_DATE_EPOCH);
  const git = Bun.spawnSync(["git", "log", "-1", "--format=%ct"], { cwd: ROOT, stderr: "ignore" });
  const seconds = Number(git.stdout.toString().trim());
  return git.exitCode === 0 && seconds > 0 ? seconds : Math.floor(Date.now() / 1000);
}

async function compile(platform: Platform): Promise<Uint8Array> {
  const dir = join(buildDir, platform.name);
  // build.ts embeds the version and builds with NODE_ENV=production; Bun fetches a cross target's runtime from npm.
  const build = Bun.spawnSync(
    [process.execPath, "scripts/build.ts", "--target", platform.bunTarget, "--outfile", join(dir, "chat")],
    { cwd: ROOT, stdout: "pipe", stderr: "pipe" },
  );
  if (build.exitCode !== 0) {
    process.stderr.write(build.stdout.toString() + build.stderr.toString());
    throw new Error(`the ${platform.name} build failed`);
  }
  // Bun appends .exe for Windows on its own.
  const file = Bun.file(join(dir, platform.binary));
  if (!(await file.exists())) throw new Error(`the ${platform.name} build made no ${platform.binary} in ${dir}`);
  const binary = await file.bytes();
  if (platform.expected.format !== "macho") return binary;
  // A Mac kills a binary whose signature does not seal it; Bun 1.4.4 leaves darwin-x64 with the runtime's stale one.
  const signature = checkCodeSignature(binary);
  if (!("error" in signature)) return binary;
  console.log(`${platform.name}: Bun's code signature does not hold (${signature.error}); signing it ad hoc`);
  return signAdHoc(binary);
}

if (!values.repository) console.log("no --repository (nor GITHUB_REPOSITORY): the README in the archives keeps OWNER/chat");
await rm(outDir, { recursive: true, force: true });
await mkdir(buildDir, { recursive: true });
const mtime = sourceDate();
const packed: Packed[] = [];
try {
  for (const platform of platforms) {
    const started = performance.now();
    const binary = await compile(platform);
    const archive = await pack({ binary, version: pkg.version, platform, root: ROOT, repository: values.repository, outDir, mtime, level: 9 });
    packed.push(archive);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`${archive.name.padEnd(36)} ${mib(archive.size).padStart(10)}  (binary ${mib(binary.length)}, ${seconds} s)`);
  }
} finally {
  await rm(buildDir, { recursive: true, force: true });
}
const sums = await writeSums(outDir, packed);
console.log(`\n${values.out}/SHA256SUMS:`);
process.stdout.write(await Bun.file(sums).text());
console.log(`\n${(await readdir(outDir)).length} files in ${values.out}`);
