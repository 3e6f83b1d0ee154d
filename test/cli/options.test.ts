// The pure parsing of what users type: addresses, numbers, sizes, durations, flag and variable.
import { describe, expect, test } from "bun:test";
import { ChatError } from "../../core/errors.ts";
import { envName, parseAddress, parseChoice, parseCount, parseDuration, parseSize, pick } from "../../core/options.ts";

describe("parseAddress", () => {
  test.each([
    ["", "localhost", 8000],
    [":9000", "localhost", 9000],
    ["example.com", "example.com", 8000],
    ["example.com:1234", "example.com", 1234],
    ["127.0.0.1:0", "127.0.0.1", 0],
    ["[::1]:8000", "::1", 8000],
    ["[::1]", "::1", 8000],
    ["::1", "::1", 8000],
    ["fe80::1%eth0", "fe80::1%eth0", 8000],
  ])("%p → %s port %d", (text, host, port) => {
    expect(parseAddress(text)).toEqual({ host, port });
  });

  test.each(["host:", "host:x", "host:65536", "[::1", "[host]:80", "a b", "user@host", "::1]:80", "host:80:90x", "a:b:c", "[a:b:c]:80"])("%p is refused with exit 2", (text) => {
    let error: unknown;
    try {
      parseAddress(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ChatError);
    expect((error as ChatError).exitCode).toBe(2);
    expect((error as ChatError).message).toStartWith(`bad address "${text}"`);
  });

  test("two colons and no brackets, not an IPv6 address: bracket IPv6", () => {
    expect(() => parseAddress("a:b:c")).toThrow('bad address "a:b:c": put an IPv6 address in brackets, as in [::1]:8000');
    expect(() => parseAddress("example.com:80:1")).toThrow('bad address "example.com:80:1": put an IPv6 address in brackets, as in [::1]:8000');
  });
});

test.each([
  ["4096", 4096],
  ["64k", 65536],
  ["1MiB", 1048576],
  ["2mb", 2000000],
  ["1.5k", 1536],
])("parseSize(%p) = %d", (text, bytes) => expect(parseSize(text, "--max-queue")).toBe(bytes));

test.each(["", "-1", "1x", "k"])("parseSize(%p) is refused", (text) => expect(() => parseSize(text, "--max-queue")).toThrow(/^bad --max-queue/));

test.each([
  ["0", 0],
  ["off", 0],
  ["500ms", 500],
  ["30", 30_000],
  ["1s", 1000],
  ["5m", 300_000],
  ["1h30m", 5_400_000],
])("parseDuration(%p) = %d ms", (text, ms) => expect(parseDuration(text, "--idle")).toBe(ms));

test.each(["5 minutes", "-1s", "m"])("parseDuration(%p) is refused", (text) => expect(() => parseDuration(text, "--idle")).toThrow(/^bad --idle/));

test("parseCount takes whole numbers and off", () => {
  expect(parseCount("16", "--max-per-ip")).toBe(16);
  expect(parseCount("off", "--max-per-ip")).toBe(0);
  expect(() => parseCount("1.5", "--max-per-ip")).toThrow(/^bad --max-per-ip: expected a whole number/);
});

test("parseChoice takes a listed word, exactly, and names the others", () => {
  expect(parseChoice("zh", "--lang", ["en", "zh"])).toBe("zh");
  expect(() => parseChoice("ZH", "--lang", ["en", "zh"])).toThrow('bad --lang: expected en or zh, not "ZH"');
  const levels = ["silent", "error", "warn", "info", "debug"];
  expect(() => parseChoice("toString", "--log-level", levels)).toThrow('bad --log-level: expected silent, error, warn, info or debug, not "toString"');
});

test("every flag has a CHAT_ twin, and the flag wins", () => {
  expect(envName("max-clients")).toBe("CHAT_MAX_CLIENTS");
  expect(pick({ "max-clients": "5" }, { CHAT_MAX_CLIENTS: "7" }, "max-clients")).toBe("5");
  expect(pick({}, { CHAT_MAX_CLIENTS: "7" }, "max-clients")).toBe("7");
  expect(pick({}, {}, "max-clients")).toBeUndefined();
});

test("every option of serve and connect declares the group its help lists it under", async () => {
  const { GROUPS } = await import("../../cmd/usage.ts");
  for (const command of [(await import("../../cmd/serve.ts")).default, (await import("../../cmd/connect.ts")).default]) {
    for (const [name, def] of Object.entries(command.args as Record<string, { type?: string; group?: string }>)) {
      if (def.type === "positional") continue;
      expect({ name, group: def.group !== undefined && def.group in GROUPS }).toEqual({ name, group: true });
    }
  }
});
