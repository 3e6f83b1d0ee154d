// Before any test: the programs the tests use beside the binary, installed if missing (a fresh machine needs only
// Node and npm); then dist/chat, built once per run, as the end-to-end tests run the compiled binary as users do.
// A run pointed at another binary (CHAT_BINARY: the release check's build) has nothing to build.
import { ensureTools } from "./tools.ts";

ensureTools();
if (!process.env.CHAT_BINARY) {
  const build = Bun.spawnSync([process.execPath, "scripts/build.ts"], { cwd: `${import.meta.dir}/..`, stdout: "pipe", stderr: "pipe" });
  if (build.exitCode !== 0) {
    process.stderr.write(build.stdout.toString() + build.stderr.toString());
    throw new Error("could not build dist/chat");
  }
}
