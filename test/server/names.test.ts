// Names that look alike are one name, over real sockets: uniqueness is decided on NFKC and case folding.
import { afterEach, test } from "bun:test";
import { closePeers, escape, join, serve, unique } from "../helpers.ts";

afterEach(closePeers);

test("names that look alike are one name: Alice, alice and fullwidth ａｌｉｃｅ", async () => {
  await using server = await serve();
  const alice = await join(server.port);
  alice.say("/nick Alice");
  await alice.until(/is now known as Alice$/);
  const other = await join(server.port);
  for (const lookalike of ["alice", "ALICE", "ａｌｉｃｅ", "Ａｌｉｃｅ"]) {
    other.say(`/nick ${lookalike}`);
    await other.until(new RegExp(`^\\* name ${escape(lookalike)} is taken$`));
  }
  const text = unique("fullwidth-msg");
  other.say(`/msg ａｌｉｃｅ ${text}`);
  await alice.until(new RegExp(`^\\* ${escape(other.name)} -> Alice: ${text}$`));
});
