// Installing the Debian packages a release check needs when they are missing (as root, or through sudo on a CI runner).

/** Installs the packages whose command or file is missing; throws with apt's own output when that fails. */
export function ensurePackages(needs: { package: string; present: () => boolean }[]): void {
  const missing = needs.filter((need) => !need.present()).map((need) => need.package);
  if (missing.length === 0) return;
  if (!Bun.which("apt-get")) throw new Error(`missing, and no apt-get to install them with: ${missing.join(" ")}`);
  const sudo = process.getuid?.() === 0 ? [] : ["sudo"];
  console.log(`installing ${missing.join(" ")} with apt-get`);
  for (const command of [
    [...sudo, "apt-get", "update", "-q"],
    [...sudo, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-q", ...missing],
  ]) {
    const result = Bun.spawnSync(command, { stdout: "pipe", stderr: "pipe" });
    if (result.exitCode !== 0) throw new Error(`${command.join(" ")} failed:\n${result.stdout}${result.stderr}`);
  }
}
