// Addresses and ranges: parsing, printing, containment, and the --allow/--deny policy.
import { expect, test } from "bun:test";
import { AccessList } from "../../core/server/access.ts";
import { contains, formatCidr, formatIp, parseCidr, parseIp } from "../../core/wire/cidr.ts";

test.each([
  ["127.0.0.1", "127.0.0.1"],
  ["0.0.0.0", "0.0.0.0"],
  ["255.255.255.255", "255.255.255.255"],
  ["::1", "::1"],
  ["::", "::"],
  ["2001:DB8::1", "2001:db8::1"],
  ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
  ["fe80::1%eth0", "fe80::1"],
  ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
  ["::ffff:10.1.2.3", "10.1.2.3"], // IPv4-mapped is IPv4
  ["::10.1.2.3", "::a01:203"],
  ["64:ff9b::1.2.3.4", "64:ff9b::102:304"],
])("parseIp(%p) prints as %p", (text, printed) => {
  const ip = parseIp(text);
  expect(ip).toBeDefined();
  expect(formatIp(ip!)).toBe(printed);
});

test.each(["", "1.2.3", "1.2.3.4.5", "256.0.0.1", "01.2.3.4", "1.2.3.-4", "a.b.c.d", ":::", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "g::1", "::1.2.3", "localhost", " "])(
  "parseIp(%p) is not an address",
  (text) => {
    expect(parseIp(text)).toBeUndefined();
  },
);

test.each([
  ["10.0.0.0/8", "10.0.0.0/8"],
  ["10.1.2.3/8", "10.0.0.0/8"], // host bits cleared
  ["10.1.2.3", "10.1.2.3"],
  ["10.1.2.3/32", "10.1.2.3"],
  ["0.0.0.0/0", "0.0.0.0/0"],
  ["2001:db8::/32", "2001:db8::/32"],
  ["2001:db8:ffff::1/32", "2001:db8::/32"],
  ["::1/128", "::1"],
  ["::/0", "::/0"],
  ["::ffff:10.0.0.0/104", "10.0.0.0/8"],
])("parseCidr(%p) is %p", (text, printed) => {
  expect(formatCidr(parseCidr(text)!)).toBe(printed);
});

test.each(["10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/8/8", "10.0.0.0/-1", "10.0.0.0/a", "fe80::1%eth0/64", "bob", "", "1.2.3.4/08x"])(
  "parseCidr(%p) is not a range",
  (text) => {
    expect(parseCidr(text)).toBeUndefined();
  },
);

test.each([
  ["10.0.0.0/8", "10.255.1.2", true],
  ["10.0.0.0/8", "11.0.0.0", false],
  ["10.0.0.0/8", "::ffff:10.9.9.9", true],
  ["192.168.1.0/24", "192.168.1.255", true],
  ["192.168.1.0/24", "192.168.2.0", false],
  ["0.0.0.0/0", "8.8.8.8", true],
  ["0.0.0.0/0", "::1", false], // families never mix
  ["::/0", "127.0.0.1", false],
  ["::/0", "2001:db8::5", true],
  ["2001:db8::/32", "2001:db8:1234::1", true],
  ["2001:db8::/32", "2001:db9::1", false],
  ["::1", "::1", true],
  ["::1", "::2", false],
  ["127.0.0.1", "127.0.0.1", true],
  ["127.0.0.1", "127.0.0.2", false],
])("%p contains %p: %p", (range, ip, expected) => {
  expect(contains(parseCidr(range)!, parseIp(ip)!)).toBe(expected);
});

const list = (allow: string[], deny: string[]) => new AccessList(allow.map((r) => parseCidr(r)!), deny.map((r) => parseCidr(r)!));

test.each([
  [[], [], "1.2.3.4", true],
  [[], ["1.2.3.4"], "1.2.3.4", false],
  [[], ["1.2.3.4"], "1.2.3.5", true],
  [["10.0.0.0/8"], [], "10.1.1.1", true],
  [["10.0.0.0/8"], [], "11.1.1.1", false],
  [["10.0.0.0/8"], ["10.6.6.6"], "10.6.6.6", false], // deny first
  [["10.0.0.0/8"], ["10.6.6.6"], "10.6.6.7", true],
  [["10.6.6.6"], ["10.0.0.0/8"], "10.6.6.6", false], // deny first, even when allow is narrower
  [["::1", "127.0.0.0/8"], [], "::1", true],
  [["::1", "127.0.0.0/8"], [], "::2", false],
  [["2001:db8::/32"], ["2001:db8:bad::/48"], "2001:db8:bad::1", false],
  [["2001:db8::/32"], ["2001:db8:bad::/48"], "2001:db8:900d::1", true],
] as [string[], string[], string, boolean][])("allow %p deny %p: %p is let in: %p", (allow, deny, ip, expected) => {
  expect(list(allow, deny).permits(parseIp(ip))).toBe(expected);
});

test("an address that cannot be read is let in only when there are no lists", () => {
  expect(list([], []).permits(undefined)).toBe(true);
  expect(list([], ["10.0.0.0/8"]).permits(undefined)).toBe(false);
});
