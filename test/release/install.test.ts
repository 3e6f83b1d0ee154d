// install.sh against a local HTTP server holding a release made from dist/chat: the right archive, a checked sum, clear errors.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { chmod, mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Server } from "bun";
import pkg from "../../package.json" with { type: "json" };
import { sha256 } from "../../scripts/checksums.ts";
import { pack, writeSums, type Packed } from "../../scripts/pack.ts";
import { hostPlatform } from "../../scripts/platforms.ts";
import { CHAT, ROOT } from "../helpers.ts";

const host = hostPlatform();
if (!host) throw new Error(`no release platform for ${process.platform}-${process.arch}`);
const version = pkg.version;
const archive = `chat-${version}-${host.name}.tar.gz`;

let scratch: string;
let server: Server<undefined>;
let base: string;
let good: Packed;
const requests: string[] = [];

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), "chat-install-"));
  const settings = { version, platform: host, root: ROOT, mtime: 1_700_000_000, level: 1 } as const;
  good = await pack({ ...settings, binary: await Bun.file(CHAT).bytes(), outDir: join(scratch, "good") });
  await writeSums(join(scratch, "good"), [good]);
  // A well-formed archive of the same name holding another program: installed unchecked, it would run.
  const impostor = new TextEncoder().encode("#!/bin/sh\necho 6.6.6\n");
  await pack({ ...settings, binary: impostor, outDir: join(scratch, "tampered") });
  await Bun.write(join(scratch, "tampered", "SHA256SUMS"), Bun.file(join(scratch, "good", "SHA256SUMS")));

  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const path = new URL(request.url).pathname;
      requests.push(path);
      const [, release, file] = path.split("/");
      const served = release === "good" || release === "tampered" ? Bun.file(join(scratch, release, file ?? "")) : undefined;
      return served && file && (await served.exists()) ? new Response(served) : new Response("not found\n", { status: 404 });
    },
  });
  base = `http://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server?.stop(true);
  await rm(scratch, { recursive: true, force: true });
});

/** Runs install.sh with only PATH, HOME and the given variables set, as a fresh shell would. */
async function install(env: Record<string, string>) {
  const proc = Bun.spawn(["sh", join(ROOT, "install.sh")], {
    env: { PATH: process.env.PATH!, HOME: join(scratch, "home"), ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([proc.stdout.text(), proc.stderr.text(), proc.exited]);
  return { stdout, stderr, code };
}

async function versionOf(binary: string): Promise<string> {
  const proc = Bun.spawn([binary, "--version"], { stdout: "pipe", stderr: "pipe" });
  const [stdout, code] = await Promise.all([proc.stdout.text(), proc.exited]);
  expect(code).toBe(0);
  return stdout.trim();
}

test("installs this machine's archive into CHAT_INSTALL_DIR after checking its sum, and says so", async () => {
  const dir = join(scratch, "custom", "bin");
  const result = await install({ CHAT_DOWNLOAD_URL: `${base}/good/`, CHAT_INSTALL_DIR: dir });
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  expect(result.stdout.split("\n")).toEqual([
    `chat install: downloading ${base}/good/${archive}`,
    `chat install: checksum OK: ${good.sha256}`,
    `chat install: installed chat ${version} (${host.name}) as ${dir}/chat`,
    `chat install: ${dir} is not on your PATH; add it (in ~/.profile, for example): export PATH="${dir}:$PATH"`,
    "",
  ]);
  expect(await versionOf(join(dir, "chat"))).toBe(version);
  expect(sha256(await Bun.file(join(dir, "chat")).bytes())).toBe(sha256(await Bun.file(CHAT).bytes()));
  expect(await readdir(dir)).toEqual(["chat"]);
});

test("installs into ~/.local/bin by default, and replaces an older chat there", async () => {
  const home = join(scratch, "home-default");
  const dir = join(home, ".local", "bin");
  await Bun.write(join(dir, "chat"), "#!/bin/sh\necho 0.0.1\n");
  const result = await install({ HOME: home, CHAT_DOWNLOAD_URL: `${base}/good`, PATH: `${dir}:${process.env.PATH}` });
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  expect(result.stdout).toContain(`installed chat ${version} (${host.name}) as ${dir}/chat\nchat install: run: chat --help\n`);
  expect(await versionOf(join(dir, "chat"))).toBe(version);
});

test("a tampered archive is refused, and the chat already installed is left alone", async () => {
  const dir = join(scratch, "tampered-bin");
  const old = "#!/bin/sh\necho 0.0.1\n";
  await Bun.write(join(dir, "chat"), old);
  await chmod(join(dir, "chat"), 0o755);
  const result = await install({ CHAT_DOWNLOAD_URL: `${base}/tampered`, CHAT_INSTALL_DIR: dir });
  expect(result.code).toBe(1);
  expect(result.stderr).toStartWith(`chat install: error: checksum mismatch for ${archive}: SHA256SUMS says ${good.sha256} but the download's is `);
  expect(result.stderr).toEndWith("The file is damaged or has been tampered with; nothing was installed.\n");
  expect(result.stdout).not.toContain("installed");
  expect(await readdir(dir)).toEqual(["chat"]);
  expect(await Bun.file(join(dir, "chat")).text()).toBe(old);
  expect(requests).toContain(`/tampered/${archive}`); // refused after downloading, not for want of a file
});

/** A PATH whose uname reports another machine (and whose ldd, if given, names its C library). */
async function fakeSystem(os: string, machine: string, ldd?: string): Promise<string> {
  const dir = join(scratch, `system-${os}-${machine}-${ldd ? "ldd" : "plain"}`);
  await mkdir(dir, { recursive: true });
  await Bun.write(join(dir, "uname"), `#!/bin/sh\ncase "$1" in -s) echo ${os} ;; -m) echo ${machine} ;; esac\n`);
  await chmod(join(dir, "uname"), 0o755);
  if (ldd) {
    await Bun.write(join(dir, "ldd"), `#!/bin/sh\necho '${ldd}' >&2\nexit 1\n`); // as musl's ldd answers --version
    await chmod(join(dir, "ldd"), 0o755);
  }
  return `${dir}:${process.env.PATH}`;
}

for (const [os, machine, ldd, platform] of [
  ["Linux", "x86_64", undefined, "linux-x64"],
  ["Linux", "x86_64", "musl libc (x86_64)", "linux-x64-musl"],
  ["Linux", "aarch64", undefined, "linux-arm64"],
  ["Darwin", "arm64", undefined, "darwin-arm64"],
  ["Darwin", "x86_64", undefined, "darwin-x64"],
] as const) {
  const system = `uname ${os} ${machine}${ldd ? `, ldd "${ldd}"` : ""}`;
  test.skipIf(platform === host.name)(`${system} asks for ${platform}, and a release without it says so`, async () => {
    const PATH = await fakeSystem(os, machine, ldd);
    const result = await install({ CHAT_DOWNLOAD_URL: `${base}/good`, CHAT_INSTALL_DIR: join(scratch, "never"), PATH });
    expect(result.stderr).toBe(`chat install: error: there is no chat build for ${platform} in ${base}/good/SHA256SUMS (it has: ${host.name})\n`);
    expect(result.code).toBe(1);
  });
}

// The releases page when CHAT_REPO names one; with only CHAT_DOWNLOAD_URL, the mirror (github.com//releases is no page).
for (const repo of [undefined, "example/chat"]) {
  const where = () => (repo ? `https://github.com/${repo}/releases` : `${base}/good`);
  for (const [os, machine, message] of [
    ["FreeBSD", "amd64", () => `there is no chat build for FreeBSD (there are builds for Linux, macOS and Windows; ${where()})`],
    ["Linux", "i686", () => "there is no chat build for the i686 processor (there are builds for x86-64 and arm64)"],
    ["MINGW64_NT-10.0", "x86_64", () => `on Windows, download chat-VERSION-windows-x64.zip from ${where()} and unzip it: chat.exe is the whole program`],
  ] as const) {
    test(`uname ${os} ${machine}${repo ? `, CHAT_REPO=${repo}` : ""}: one line naming where builds are, before any download`, async () => {
      const before = requests.length;
      const PATH = await fakeSystem(os, machine);
      const result = await install({ CHAT_DOWNLOAD_URL: `${base}/good`, CHAT_INSTALL_DIR: join(scratch, "never"), PATH, ...(repo && { CHAT_REPO: repo }) });
      expect(result.stderr).toBe(`chat install: error: ${message()}\n`);
      expect(result.code).toBe(1);
      expect(requests.length).toBe(before);
    });
  }
}

test("a release that is not there: the URL that failed, exit 1", async () => {
  const result = await install({ CHAT_DOWNLOAD_URL: `${base}/missing`, CHAT_INSTALL_DIR: join(scratch, "never") });
  expect(result.stderr).toEndWith(`chat install: error: could not download ${base}/missing/SHA256SUMS\n`);
  expect(result.code).toBe(1);
});

test("an install directory that cannot be made: which one, and how to choose another, before any download", async () => {
  const file = join(scratch, "a-file");
  await Bun.write(file, "not a directory\n");
  const before = requests.length;
  const result = await install({ CHAT_DOWNLOAD_URL: `${base}/good`, CHAT_INSTALL_DIR: join(file, "bin") });
  expect(result.stderr).toBe(`chat install: error: cannot create ${file}/bin; set CHAT_INSTALL_DIR to install somewhere else\n`);
  expect(result.code).toBe(1);
  expect(requests.length).toBe(before); // before 50 MB are downloaded
});

test("install.sh as in the source tree names no repository: it says how to choose one, before any download", async () => {
  const before = requests.length;
  const result = await install({ CHAT_INSTALL_DIR: join(scratch, "never") });
  expect(result.stderr).toBe(
    "chat install: error: this copy of install.sh does not name a repository: use the one attached to a release, or set CHAT_REPO=OWNER/NAME or CHAT_DOWNLOAD_URL\n",
  );
  expect(result.code).toBe(1);
  expect(requests.length).toBe(before);
});
