// The web page's script, bundled from core/web/ when the server is built: imported as a macro, so the binary carries the result as a string.

/** The page's script, minified for browsers. Runs in the bundler (a macro): Bun.build cannot be called from there, the CLI can. */
export function bundlePage(): string {
  const entry = `${import.meta.dir}/../web/page.ts`;
  const build = Bun.spawnSync([process.execPath, "build", "--target=browser", "--format=esm", "--minify", entry], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, NODE_ENV: "production" },
  });
  if (build.exitCode !== 0) {
    // A macro's exception reaches the build's output without its message: say it first.
    console.error(`cannot bundle ${entry}:\n${build.stderr.toString()}`);
    throw new Error(`cannot bundle ${entry}`);
  }
  return build.stdout.toString();
}
