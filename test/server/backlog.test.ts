// The accept queue: as deep as the system allows, not Bun's 512, so a crowd connecting at once is not dropped and made to retry.
import { expect, test } from "bun:test";
import { serve } from "../helpers.ts";

test.skipIf(process.platform !== "linux" || !Bun.which("ss"))("chat serve listens with the kernel's deepest accept queue (net.core.somaxconn), not 512", async () => {
  await using server = await serve();
  const somaxconn = Number((await Bun.file("/proc/sys/net/core/somaxconn").text()).trim());
  const ss = Bun.spawnSync(["ss", "-Hltn", `sport = :${server.port}`]).stdout.toString().trim();
  // State, Recv-Q, Send-Q (for a listening socket: its backlog), local address, peer address.
  const [, , backlog] = ss.split(/\s+/);
  expect(Number(backlog)).toBe(Math.min(65535, somaxconn));
});
