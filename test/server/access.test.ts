// --allow and --deny over real sockets: IPv4 (127.0.0.2 and .3 are loopback addresses too) and IPv6, deny first.
import { afterEach, expect, test } from "bun:test";
import { closePeers, dial, join, run, serve } from "../helpers.ts";
import { dialFrom } from "../secure.ts";

afterEach(closePeers);

/** A client from `from` that is closed without a word (a reset even before the connect completes counts); a timeout here means it was let in. */
async function keptOut(port: number, from: string, host?: string) {
  const peer = dialFrom(port, from, host);
  await peer.closed;
  expect(peer.lines.all).toEqual([]);
}

async function letIn(port: number, from: string) {
  const peer = dialFrom(port, from);
  await peer.until(new RegExp(`^You are ${from.replace(/\./g, "\\.")}:\\d+$`));
  peer.close();
}

test("--deny keeps an address out without a word; others come in", async () => {
  await using server = await serve(["--deny", "127.0.0.2"]);
  await keptOut(server.port, "127.0.0.2");
  await letIn(server.port, "127.0.0.3");
  await join(server.port);
});

test("--allow lets in only its ranges; --allow repeats", async () => {
  await using server = await serve(["--allow", "127.0.0.2", "--allow=127.0.0.3/32"]);
  await letIn(server.port, "127.0.0.2");
  await letIn(server.port, "127.0.0.3");
  await keptOut(server.port, "127.0.0.1");
});

test("deny first: an address both allowed and denied is kept out", async () => {
  await using server = await serve(["--allow", "127.0.0.0/8", "--deny", "127.0.0.3", "--deny", "192.0.2.0/24"]);
  await keptOut(server.port, "127.0.0.3");
  await letIn(server.port, "127.0.0.2");
});

test("IPv6: --deny ::1 keeps ::1 out; --allow ::1/128 lets it in", async () => {
  {
    // serve() passes --host 127.0.0.1 first; the later --host ::1 wins.
    await using server = await serve(["--host", "::1", "--deny", "::1"]);
    await keptOut(server.port, "::1", "::1");
  }
  {
    await using server = await serve(["--host", "::1", "--allow", "::1/128", "--allow", "127.0.0.1"]);
    const peer = await dial(server.port, "::1");
    await peer.until(/^You are \[::1\]:\d+$/);
  }
});

test("CHAT_DENY is a comma-separated list; a --deny flag replaces it", async () => {
  {
    await using server = await serve([], { CHAT_DENY: "192.0.2.0/24, 127.0.0.2" });
    await keptOut(server.port, "127.0.0.2");
  }
  {
    await using server = await serve(["--deny", "192.0.2.1"], { CHAT_DENY: "127.0.0.2" });
    await letIn(server.port, "127.0.0.2");
  }
});

for (const [args, message] of [
  [["--allow", "10.0.0.0/33"], 'chat: bad --allow: expected an IP address or CIDR range such as 10.0.0.0/8 or 2001:db8::/32, not "10.0.0.0/33"'],
  [["--deny", "10.0.0.1", "--deny", "example.com"], 'chat: bad --deny: expected an IP address or CIDR range such as 10.0.0.0/8 or 2001:db8::/32, not "example.com"'],
  [["--deny"], "chat: option --deny needs a value"],
] as const) {
  test(`serve ${args.join(" ")}: exit 2`, async () => {
    const chat = run(["serve", "--port", "0", ...args], { stdin: "ignore" });
    expect(await chat.exited).toBe(2);
    expect(chat.stderr.all[0]).toBe(message);
  });
}
