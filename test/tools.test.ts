// Setting up a fresh machine before the tests: which packages a missing tool asks for, and what is said when they cannot be installed.
import { expect, test } from "bun:test";
import { mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensurePackages, planInstall, SetupError, type Need } from "../scripts/apt.ts";
import { CHROMIUM, TOOLS } from "./tools.ts";

const need = (what: string, pkg: string, brew?: string): Need => ({ what, package: pkg, brew, present: () => false });
const nc = need("nc", "netcat-openbsd", "netcat");
const tmux = need("tmux", "tmux", "tmux");
const chromium = need("a Chromium", "chromium-headless-shell", "--cask chromium");

test("every tool the tests use, with the Debian package that provides it", () => {
  expect(TOOLS.map((t) => [t.what, t.package])).toEqual([
    ["nc", "netcat-openbsd"],
    ["socat", "socat"],
    ["ncat", "ncat"],
    ["tmux", "tmux"],
    ["openssl", "openssl"],
    ["curl", "curl"],
    ["redis-server", "redis-server"],
    ["a Chromium", "chromium-headless-shell"],
  ]);
  if (process.platform === "linux") expect(CHROMIUM).toBe("/usr/lib/chromium/chromium-headless-shell");
});

test("nothing missing: nothing to do, whoever runs it", () => {
  expect(planInstall([], { aptGet: false, root: false, sudo: false })).toEqual({ kind: "ready" });
});

test("missing, as root: apt-get update, then install exactly the missing packages", () => {
  expect(planInstall([nc, chromium], { aptGet: true, root: true, sudo: false })).toEqual({
    kind: "install",
    manager: "apt-get",
    packages: ["netcat-openbsd", "chromium-headless-shell"],
    commands: [
      ["apt-get", "update", "-q"],
      ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-q", "netcat-openbsd", "chromium-headless-shell"],
    ],
  });
});

test("missing, as a user with sudo: the same commands through sudo", () => {
  const plan = planInstall([tmux], { aptGet: true, root: false, sudo: true });
  expect(plan.kind === "install" && plan.commands).toEqual([
    ["sudo", "apt-get", "update", "-q"],
    ["sudo", "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-q", "tmux"],
  ]);
});

test("missing, not root and no sudo: one line naming the packages, and how to install them", () => {
  expect(planInstall([nc, tmux, chromium], { aptGet: true, root: false, sudo: false }, "the tests need")).toEqual({
    kind: "cannot",
    message: "the tests need nc, tmux, a Chromium: as root, run apt-get install netcat-openbsd tmux chromium-headless-shell (this user is not root and has no sudo)",
  });
});

test("missing, and no apt-get nor Homebrew: one line naming the packages", () => {
  expect(planInstall([nc, tmux], { aptGet: false, root: true, sudo: false }, "the tests need")).toEqual({
    kind: "cannot",
    message: "the tests need nc, tmux: install netcat-openbsd tmux (Debian's names; there is no apt-get here to do it)",
  });
});

test("missing, with Homebrew and no apt-get (macOS): formulas, then casks, as the user", () => {
  expect(planInstall([tmux, chromium], { aptGet: false, root: false, sudo: false, brew: true })).toEqual({
    kind: "install",
    manager: "brew",
    packages: ["tmux", "chromium"],
    commands: [
      ["brew", "install", "tmux"],
      ["brew", "install", "--cask", "chromium"],
    ],
  });
});

test("ensurePackages throws the plan's one line when it cannot install, and runs nothing when nothing is missing", () => {
  const user = { aptGet: true, root: false, sudo: false };
  expect(() => ensurePackages([tmux], "the tests need", user)).toThrow(
    new SetupError("the tests need tmux: as root, run apt-get install tmux (this user is not root and has no sudo)"),
  );
  expect(() => ensurePackages([{ ...tmux, present: () => true }], "the tests need", user)).not.toThrow();
});

test("the preload's check, on a machine with none of the tools and no apt-get: exit 1 at once, one line naming the packages", async () => {
  const bin = await mkdtemp(join(tmpdir(), "chat-bare-path-"));
  try {
    await symlink(process.execPath, join(bin, "bun")); // PATH holds bun and nothing else
    const proc = Bun.spawn([join(bin, "bun"), join(import.meta.dir, "tools.ts")], {
      env: { HOME: process.env.HOME ?? "/tmp", PATH: bin },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stdout, stderr, code] = await Promise.all([proc.stdout.text(), proc.stderr.text(), proc.exited]);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    const lines = stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toStartWith("npm test: the tests need nc, socat, ncat, tmux, openssl, curl, redis-server");
    expect(lines[0]).toContain(": install netcat-openbsd socat ncat tmux openssl curl redis-server");
    expect(lines[0]).toEndWith("(Debian's names; there is no apt-get here to do it)");
  } finally {
    await rm(bin, { recursive: true, force: true });
  }
});
