// The programs the end-to-end tests run beside dist/chat, and installing the missing ones before any test starts.
import { existsSync } from "node:fs";
import { ensurePackages, SetupError, type Need } from "../scripts/apt.ts";

/** The browser the web tests drive: Debian's headless shell itself (its /usr/bin wrapper does not exec), or Homebrew's Chromium. */
export const CHROMIUM =
  process.platform === "darwin" ? "/Applications/Chromium.app/Contents/MacOS/Chromium" : "/usr/lib/chromium/chromium-headless-shell";

const command = (name: string, pkg: string, brew?: string): Need => ({
  what: name,
  package: pkg,
  brew,
  present: () => Bun.which(name) !== null,
});

/** Each with what uses it. */
export const TOOLS: readonly Need[] = [
  command("nc", "netcat-openbsd", "netcat"), // a client of chat serve, as users run it
  command("socat", "socat", "socat"), // another client, with \r\n
  command("ncat", "ncat", "nmap"), // ncat --chat and --ssl: a line server for chat connect, a TLS client
  command("tmux", "tmux", "tmux"), // the terminal for the interactive client
  command("openssl", "openssl", "openssl"), // the TLS tests' certificates, and s_client
  command("curl", "curl", "curl"), // install.sh's download; HTTP against the chat and metrics ports
  command("redis-server", "redis-server", "redis"), // the cluster's Redis, one per test
  { what: "a Chromium", package: "chromium-headless-shell", brew: "--cask chromium", present: () => existsSync(CHROMIUM) }, // the web page's tests
];

/** Installs what is missing, or ends the run at once with one line naming the packages. */
export function ensureTools(needs: readonly Need[] = TOOLS): void {
  try {
    ensurePackages(needs, "the tests need");
  } catch (error) {
    if (!(error instanceof SetupError)) throw error;
    process.stderr.write(`npm test: ${error.message}\n`);
    process.exit(1);
  }
}

if (import.meta.main) ensureTools();
