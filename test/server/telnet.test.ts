// telnet's bytes, sent raw: its option negotiation and subnegotiations never reach the room as U+FFFD, and its Ctrl-C
// (IAC IP) is /quit. The filter itself is checked with a table of cases first.
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { Telnet } from "../../core/server/telnet.ts";
import { closePeers, escape, join, serve, unique, type Server } from "../helpers.ts";

const IAC = 0xff;
const [SE, IP, SB, WILL, DO, DONT] = [0xf0, 0xf4, 0xfa, 0xfb, 0xfd, 0xfe];
const [ECHO, TIMING_MARK, NAWS, TERMINAL_TYPE] = [1, 6, 31, 24];
const text = (s: string) => [...new TextEncoder().encode(s)];
const strip = (filter: Telnet, bytes: number[]) => [...filter.strip(new Uint8Array(bytes))];

test("the filter drops negotiation, subnegotiation and two-byte commands, and keeps text around them", () => {
  const cases: [number[], number[]][] = [
    [text("plain"), text("plain")],
    [[IAC, DO, ECHO, ...text("a"), IAC, WILL, NAWS, ...text("b")], text("ab")],
    [[...text("x"), IAC, SB, NAWS, 0, 80, 0, 24, IAC, SE, ...text("y")], text("xy")],
    [[IAC, SB, TERMINAL_TYPE, 0, ...text("xterm"), IAC, SE], []],
    [[IAC, 0xf1 /* NOP */, ...text("n"), IAC, 0xf6 /* AYT */], text("n")],
    [[IAC, IAC, ...text("z")], text("z")], // the escaped 0xFF is no text either
    [[IAC, 0xc3, 0x28], [IAC, 0xc3, 0x28]], // not a command: bad UTF-8, left to the decoder
  ];
  for (const [input, output] of cases) expect(strip(new Telnet(), input)).toEqual(output);
});

test("a command cut between chunks is finished in the next one", () => {
  const filter = new Telnet();
  expect(strip(filter, [...text("a"), IAC])).toEqual(text("a"));
  expect(strip(filter, [DONT])).toEqual([]);
  expect(strip(filter, [ECHO, ...text("b"), IAC, SB, NAWS, 0])).toEqual(text("b"));
  expect(strip(filter, [80, IAC])).toEqual([]);
  expect(strip(filter, [SE, ...text("c")])).toEqual(text("c"));
  expect(filter.interrupted).toBe(false);
});

test("IAC IP: interrupted, and nothing after it is kept", () => {
  const filter = new Telnet();
  expect(strip(filter, [...text("hi\n"), IAC, IP, IAC, DO, TIMING_MARK, ...text("more")])).toEqual(text("hi\n"));
  expect(filter.interrupted).toBe(true);
});

let server: Server;
beforeAll(async () => {
  server = await serve(["--rate", "0"]);
});
afterAll(() => server.kill());
afterEach(closePeers);

test("telnet's negotiation around and inside a line never reaches the room", async () => {
  const alice = await join(server.port);
  const bob = await join(server.port);
  const tag = unique("telnet");
  const [head, tail] = [tag.slice(0, 6), tag.slice(6)];
  bob.send(new Uint8Array([IAC, DO, ECHO, IAC, WILL, NAWS, IAC, SB, NAWS, 0, 80, 0, 24, IAC, SE, ...text(head), IAC]));
  await bob.sendAll(new Uint8Array([WILL, TERMINAL_TYPE, ...text(tail), 0x0d, 0x0a]));
  await alice.until(new RegExp(`^${escape(bob.name)}: ${escape(tag)}$`));
  expect(alice.lines.all.filter((line) => line.includes("\ufffd"))).toEqual([]);
});

test("telnet's Ctrl-C (IAC IP, then DO TIMING-MARK) is /quit: the others see it leave, and no U+FFFD", async () => {
  const alice = await join(server.port);
  const bob = await join(server.port);
  const last = unique("before-ctrl-c");
  bob.send(new Uint8Array([...text(`${last}\r\n`), IAC, IP, IAC, DO, TIMING_MARK]));
  await alice.until(new RegExp(`^${escape(bob.name)}: ${escape(last)}$`));
  await alice.until(new RegExp(`^${escape(bob.name)} has left$`));
  await bob.closed;
  expect(alice.lines.all.filter((line) => line.includes("\ufffd"))).toEqual([]);
});
