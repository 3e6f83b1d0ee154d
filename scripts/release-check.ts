// `npm run release:check`: proves dist/release holds what it claims: sums, contents and executable headers of all six
// archives, the end-to-end suite on the linux-x64 build, and the smoke test on builds run under emulation or natively.
import { chmod, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pkg from "../package.json" with { type: "json" };
import { ensurePackages } from "./apt.ts";
import { parseSums, sha256 } from "./checksums.ts";
import { checkCodeSignature } from "./codesign.ts";
import { ensureArm64Emulator, writeEmulatedCommand } from "./emulator.ts";
import { executableMismatch } from "./executable.ts";
import { DOCS, mib, shippedDoc, unpack } from "./pack.ts";
import { PLATFORMS, archiveName, hostPlatform, platformNamed, releaseStem, type Platform } from "./platforms.ts";

const ROOT = join(import.meta.dir, "..");

const { values } = parseArgs({
  options: {
    dir: { type: "string", default: "dist/release" },
    /** The git tag being released (v1.2.3): it must name package.json's version. */
    tag: { type: "string" },
    /** The repository the release was made for (as npm run release took it): the shipped README names it. */
    repository: { type: "string", default: process.env.GITHUB_REPOSITORY || undefined },
  },
});

const dir = join(ROOT, values.dir!);
const version = pkg.version;
const host = hostPlatform();
const failures: string[] = [];
const linuxX64 = platformNamed("linux-x64");
const linuxArm64 = platformNamed("linux-arm64");
/** The builds this machine can run: its own, and on Linux x86-64 the arm64 one under qemu too. */
const runHere = host === linuxX64 ? [linuxX64, linuxArm64] : host ? [host] : [];

async function check(label: string, run: () => Promise<string | void> | string | void): Promise<void> {
  try {
    const note = await run();
    console.log(`ok    ${label}${note ? ` (${note})` : ""}`);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    console.log(`FAIL  ${label}: ${reason}`);
    failures.push(label);
  }
}

function fail(reason: string): never {
  throw new Error(reason);
}

/** Runs test files (all when none are named) with CHAT_BINARY pointing at a release build. */
function suite(binary: string, files: string[] = []): string {
  console.log(`\n--- bun test ${files.join(" ") || "(every test)"} with CHAT_BINARY=${binary}`);
  const result = Bun.spawnSync([process.execPath, "test", "--timeout", "60000", ...files], {
    cwd: ROOT,
    env: { ...process.env, CHAT_BINARY: binary },
    stdout: "inherit",
    stderr: "inherit",
  });
  console.log("---");
  if (result.exitCode !== 0) fail(`bun test exited ${result.exitCode}`);
  return "tests passed";
}

const scratch = await mkdtemp(join(tmpdir(), "chat-release-check-"));
const extracted = new Map<string, string>();

if (values.tag !== undefined) {
  await check(`tag ${values.tag} names version ${version}`, () => {
    if (values.tag !== `v${version}`) fail(`package.json says ${version}, so the tag should be v${version}`);
  });
}

const expected = new Map(PLATFORMS.map((p) => [archiveName(version, p), p]));
let sums = new Map<string, string>();
await check(`${values.dir}/SHA256SUMS lists the six archives, and the directory holds nothing else`, async () => {
  sums = parseSums(await Bun.file(join(dir, "SHA256SUMS")).text());
  const listed = [...sums.keys()].sort();
  const present = (await readdir(dir)).filter((name) => name !== "SHA256SUMS").sort();
  const want = [...expected.keys()].sort();
  if (listed.join() !== want.join()) fail(`it lists ${listed.join(", ") || "nothing"}; expected ${want.join(", ")}`);
  if (present.join() !== want.join()) fail(`the directory holds ${present.join(", ")}; expected ${want.join(", ")}`);
});

for (const [name, platform] of expected) {
  const signed = platform.expected.format === "macho" ? " with a sealing signature" : "";
  await check(`${name}: sum, contents, ${platform.expected.format} ${platform.expected.arch} executable${signed}`, async () => {
    const file = Bun.file(join(dir, name));
    if (!(await file.exists())) fail("missing");
    const bytes = await file.bytes();
    if (sha256(bytes) !== sums.get(name)) fail(`its SHA-256 is ${sha256(bytes)}, SHA256SUMS says ${sums.get(name)}`);
    const stem = releaseStem(version, platform);
    const entries = unpack(bytes, platform);
    const paths = entries.map((e) => e.path);
    const want = [`${stem}/`, `${stem}/${platform.binary}`, ...DOCS.map((doc) => `${stem}/${doc}`)];
    if (paths.join() !== want.join()) fail(`it holds ${paths.join(", ")}; expected ${want.join(", ")}`);
    for (const doc of DOCS) {
      const shipped = entries.find((e) => e.path === `${stem}/${doc}`)!;
      if (sha256(shipped.bytes) !== sha256(await shippedDoc(ROOT, doc, values.repository)))
        fail(`its ${doc} is not the repository's${values.repository ? ` with ${values.repository} filled in` : ""}`);
    }
    const binary = entries.find((e) => e.path === `${stem}/${platform.binary}`)!;
    if (binary.mode !== 0o755) fail(`${platform.binary} has mode ${binary.mode.toString(8)}, not 755`);
    const mismatch = executableMismatch(binary.bytes, platform.expected);
    if (mismatch) fail(`${platform.binary}: ${mismatch}`);
    if (platform.expected.format === "macho") {
      const signature = checkCodeSignature(binary.bytes);
      if ("error" in signature) fail(`${platform.binary}: its code signature does not hold, so a Mac would kill it: ${signature.error}`);
    }
    if (runHere.includes(platform)) {
      const path = join(scratch, platform.name, platform.binary);
      await Bun.write(path, binary.bytes);
      await chmod(path, 0o755);
      extracted.set(platform.name, path);
    }
    return mib(bytes.length);
  });
}

// Our reader agreeing with our writer proves little; the tools users unpack with must agree too.
await check("the system's tar and unzip read every archive", () => {
  ensurePackages([{ package: "unzip", present: () => Bun.which("unzip") !== null }]);
  for (const [name, platform] of expected) {
    const command = platform.archive === "zip" ? ["unzip", "-tq", name] : ["tar", "-tzf", name];
    const result = Bun.spawnSync(command, { cwd: dir, stdout: "pipe", stderr: "pipe" });
    if (result.exitCode !== 0) fail(`${command.join(" ")}: ${result.stderr.toString().trim()}`);
  }
});

function runnable(platform: Platform): string {
  return extracted.get(platform.name) ?? fail(`the ${platform.name} archive did not pass its own checks`);
}

if (host === linuxX64) {
  await check("linux-x64: the whole end-to-end suite passes against the release build", () => suite(runnable(linuxX64)));
  await check("linux-arm64 under qemu: --version, serve and connect", async () => {
    ensureArm64Emulator();
    const command = await writeEmulatedCommand(runnable(linuxArm64), join(scratch, "chat-arm64-emulated"));
    return suite(command, ["test/cli/smoke.test.ts"]);
  });
} else if (host) {
  await check(`${host.name}: --version, serve and connect, natively`, () => suite(runnable(host), ["test/cli/smoke.test.ts"]));
} else {
  console.log(`(no release build runs natively on ${process.platform}-${process.arch}; headers only)`);
}
const unrun = PLATFORMS.filter((p) => !runHere.includes(p)).map((p) => p.name);
console.log(`\nchecked by their headers only, not run here: ${unrun.join(", ")}`);

await rm(scratch, { recursive: true, force: true });
if (failures.length > 0) {
  console.log(`\n${failures.length} check(s) failed`);
  process.exit(1);
}
console.log(`\nrelease ${version} checked: ${expected.size} archives`);
