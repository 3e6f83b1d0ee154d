// Installing the packages a run needs when they are missing (apt-get as root or through sudo, or Homebrew), or saying in one line which.

export interface Need {
  /** The Debian package that provides it. */
  package: string;
  present: () => boolean;
  /** What a person would look for (a command, a browser); the package's name when not given. */
  what?: string;
  /** Homebrew's name for it, where there is no apt-get (macOS); `--cask NAME` for an app. */
  brew?: string;
}

/** What this machine can do about missing packages. */
export interface Installer {
  aptGet: boolean;
  root: boolean;
  /** sudo that runs without a password, or that may ask for one at a terminal. */
  sudo: boolean;
  /** Homebrew, the package manager to use where there is no apt-get. */
  brew?: boolean;
}

export type Plan =
  | { kind: "ready" }
  | { kind: "install"; manager: "apt-get" | "brew"; packages: string[]; commands: string[][] }
  | { kind: "cannot"; message: string };

/** A failure to set up, in one line a person can act on. */
export class SetupError extends Error {
  override readonly name = "SetupError";
}

/** What to do about the needs that are missing: nothing, run apt-get, or say which packages to install and why we cannot. */
export function planInstall(missing: readonly Need[], installer: Installer, purpose = "this needs"): Plan {
  if (missing.length === 0) return { kind: "ready" };
  const whats = missing.map((need) => need.what ?? need.package).join(", ");
  const packages = missing.map((need) => need.package);
  if (!installer.aptGet) {
    const brewed = missing.flatMap((need) => (need.brew === undefined ? [] : [need.brew]));
    if (installer.brew && brewed.length === missing.length) {
      // Homebrew installs as the user: no root, no sudo.
      const casks = brewed.filter((name) => name.startsWith("--cask ")).map((name) => name.slice("--cask ".length));
      const formulas = brewed.filter((name) => !name.startsWith("--cask "));
      const commands = [
        ...(formulas.length > 0 ? [["brew", "install", ...formulas]] : []),
        ...(casks.length > 0 ? [["brew", "install", "--cask", ...casks]] : []),
      ];
      return { kind: "install", manager: "brew", packages: [...formulas, ...casks], commands };
    }
    return { kind: "cannot", message: `${purpose} ${whats}: install ${packages.join(" ")} (Debian's names; there is no apt-get here to do it)` };
  }
  if (!installer.root && !installer.sudo)
    return { kind: "cannot", message: `${purpose} ${whats}: as root, run apt-get install ${packages.join(" ")} (this user is not root and has no sudo)` };
  const sudo = installer.root ? [] : ["sudo"];
  return {
    kind: "install",
    manager: "apt-get",
    packages,
    commands: [
      [...sudo, "apt-get", "update", "-q"],
      [...sudo, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-q", ...packages],
    ],
  };
}

/** This machine: apt-get, root, a sudo that will not hang a run without a terminal, Homebrew. */
export function thisInstaller(): Installer {
  const root = process.getuid?.() === 0;
  const sudo =
    !root &&
    Bun.which("sudo") !== null &&
    (process.stdin.isTTY === true || Bun.spawnSync(["sudo", "-n", "true"], { stdout: "ignore", stderr: "ignore" }).exitCode === 0);
  return { aptGet: Bun.which("apt-get") !== null, root, sudo, brew: Bun.which("brew") !== null };
}

/** Installs the packages whose command or file is missing; throws a SetupError when it cannot, or when they are still missing after. */
export function ensurePackages(needs: readonly Need[], purpose?: string, installer = thisInstaller()): void {
  const missing = needs.filter((need) => !need.present());
  const plan = planInstall(missing, installer, purpose);
  if (plan.kind === "ready") return;
  if (plan.kind === "cannot") throw new SetupError(plan.message);
  console.log(`installing ${plan.packages.join(" ")} with ${plan.manager}`);
  for (const command of plan.commands) {
    const result = Bun.spawnSync(command, { stdout: "pipe", stderr: "pipe" });
    if (result.exitCode !== 0) throw new SetupError(`${command.join(" ")} failed:\n${result.stdout}${result.stderr}`);
  }
  const still = missing.filter((need) => !need.present());
  if (still.length > 0)
    throw new SetupError(
      `${plan.manager} installed ${plan.packages.join(" ")}, yet ${still.map((need) => need.what ?? need.package).join(", ")} cannot be found (is PATH missing /usr/bin?)`,
    );
}
