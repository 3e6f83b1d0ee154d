// Bans and the --state file: lookups, expiry, the JSON form, and a corrupt file that is an error, never an empty list.
import { expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Bans, parseBans, serializeBans } from "../../core/chat/bans.ts";
import { formatCidr, parseCidr, parseIp } from "../../core/wire/cidr.ts";
import { loadBans, saveBans } from "../../core/server/state.ts";

const T = Date.UTC(2026, 0, 1);
const range = (text: string) => parseCidr(text)!;

test("find: by range, until the ban ends", () => {
  const bans = new Bans([{ range: range("10.0.0.0/8"), until: T + 1000 }, { range: range("::1") }]);
  expect(bans.find(parseIp("10.2.3.4"), T)).toBeDefined();
  expect(bans.find(parseIp("10.2.3.4"), T + 1000)).toBeUndefined();
  expect(bans.find(parseIp("11.0.0.1"), T)).toBeUndefined();
  expect(bans.find(parseIp("::1"), T + 1e12)).toBeDefined();
  expect(bans.find(undefined, T)).toBeUndefined();
});

test("add replaces a ban of the same range; changes drop expired bans and are reported", () => {
  const reported: string[][] = [];
  const bans = new Bans([], (list) => reported.push(list.map((b) => formatCidr(b.range))));
  bans.add({ range: range("10.0.0.1"), until: T + 10 }, T);
  bans.add({ range: range("10.0.0.2") }, T);
  bans.add({ range: range("10.0.0.2"), label: "bob" }, T + 20);
  expect(reported).toEqual([["10.0.0.1"], ["10.0.0.1", "10.0.0.2"], ["10.0.0.2"]]);
  expect(bans.list(T + 20)).toEqual([{ range: range("10.0.0.2"), label: "bob" }]);
});

test("the JSON form reads back as written", () => {
  const list = [{ range: range("192.0.2.0/24"), label: "mallory", until: T }, { range: range("2001:db8::/32") }];
  const text = serializeBans(list);
  expect(JSON.parse(text)).toEqual({
    version: 1,
    bans: [{ range: "192.0.2.0/24", label: "mallory", until: "2026-01-01T00:00:00.000Z" }, { range: "2001:db8::/32" }],
  });
  expect(parseBans(text)).toEqual(list);
});

test.each([
  ["", "not valid JSON"],
  ["{", "not valid JSON"],
  ["[]", 'expected an object with "version": 1'],
  ['{"version":2,"bans":[]}', 'expected an object with "version": 1'],
  ['{"version":1}', 'expected a "bans" list'],
  ['{"version":1,"bans":[{"range":"10.0.0.0/99"}]}', 'ban 1: "range" is not an IP address or CIDR range'],
  ['{"version":1,"bans":[{"range":"10.0.0.1"},{}]}', 'ban 2: "range" is not an IP address or CIDR range'],
  ['{"version":1,"bans":[{"range":"10.0.0.1","until":"someday"}]}', 'ban 1: "until" is not a time'],
  ['{"version":1,"bans":[{"range":"10.0.0.1","label":7}]}', 'ban 1: "label" is not a string'],
])("parseBans(%p) fails: %s", (text, message) => {
  expect(() => parseBans(text)).toThrow(message);
});

test("the state file: missing is empty, saved is read back, corrupt is an error and stays as it was", () => {
  const dir = mkdtempSync(join(tmpdir(), "chat-state-"));
  try {
    const file = join(dir, "state.json");
    expect(loadBans(file)).toEqual([]);
    saveBans(file, [{ range: range("10.0.0.1"), label: "bob" }]);
    expect(loadBans(file)).toEqual([{ range: range("10.0.0.1"), label: "bob" }]);
    expect(readdirSync(dir)).toEqual(["state.json"]); // the temporary file was renamed away
    writeFileSync(file, '{"version":1,"bans":[{"range":');
    expect(() => loadBans(file)).toThrow(`the --state file ${file} is corrupt: not valid JSON; fix or remove it`);
    expect(readFileSync(file, "utf8")).toBe('{"version":1,"bans":[{"range":');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
