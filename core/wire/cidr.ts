// IP addresses and CIDR ranges, IPv4 and IPv6, as numbers: parsing, printing and "is this address in that range".

export interface Ip {
  version: 4 | 6;
  value: bigint;
}

export interface Cidr {
  version: 4 | 6;
  /** The first address of the range: host bits are cleared. */
  base: bigint;
  prefix: number;
}

const BITS = { 4: 32, 6: 128 } as const;

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    // No leading zeros: 010 is octal to some tools and decimal to others.
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

/** A zone (%eth0) names an interface, not an address: it is ignored. */
function parseIpv6(text: string): bigint | undefined {
  let head = text.replace(/%[\w.-]+$/, "");
  let tail: number[] = [];
  // A dotted IPv4 tail (::ffff:1.2.3.4) stands for the last two groups.
  if (head.includes(".")) {
    const lastColon = head.lastIndexOf(":");
    const v4 = parseIpv4(head.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tail = [Number(v4 >> 16n), Number(v4 & 0xffffn)];
    head = head.slice(0, lastColon);
    if (head.endsWith(":")) head += ":"; // "::1.2.3.4": the colon cut off was half of "::"
  }
  const halves = head.split("::");
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const left = groups(halves[0]!);
  const right = halves.length === 2 ? groups(halves[1]!) : [];
  const all = [...left, ...right];
  if (!all.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  const given = all.length + tail.length;
  if (halves.length === 1 ? given !== 8 : given > 7) return undefined;
  const zeros = 8 - given;
  const words = [...left.map((g) => parseInt(g, 16)), ...Array(zeros).fill(0), ...right.map((g) => parseInt(g, 16)), ...tail];
  let value = 0n;
  for (const word of words) value = (value << 16n) | BigInt(word);
  return value;
}

/** An address as written: IPv6 if it has a colon, so ::ffff:1.2.3.4 is still IPv6 here. */
function parseWritten(text: string): Ip | undefined {
  const version = text.includes(":") ? 6 : 4;
  const value = version === 6 ? parseIpv6(text) : parseIpv4(text);
  return value === undefined ? undefined : { version, value };
}

/** In ::ffff:0:0/96, the IPv6 addresses that stand for IPv4 ones. */
function isMapped(ip: Ip): boolean {
  return ip.version === 6 && ip.value >> 32n === 0xffffn;
}

/** An address as a socket reports it; an IPv4-mapped IPv6 address is IPv4, and a zone (%eth0) is ignored. */
export function parseIp(text: string): Ip | undefined {
  const ip = parseWritten(text.trim());
  return ip && isMapped(ip) ? { version: 4, value: ip.value & 0xffffffffn } : ip;
}

function mask(version: 4 | 6, prefix: number): bigint {
  const bits = BITS[version];
  return ((1n << BigInt(bits)) - 1n) ^ ((1n << BigInt(bits - prefix)) - 1n);
}

/** `10.0.0.0/8`, `2001:db8::/32`, or a single address (`/32`, `/128`). Host bits are cleared: 10.1.2.3/8 is 10.0.0.0/8. */
export function parseCidr(text: string): Cidr | undefined {
  const [address = "", prefixText, extra] = text.trim().split("/");
  if (extra !== undefined || address.includes("%")) return undefined;
  const ip = parseWritten(address);
  if (!ip) return undefined;
  const { version, value } = ip;
  let prefix: number = BITS[version];
  if (prefixText !== undefined) {
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > BITS[version]) return undefined;
    prefix = Number(prefixText);
  }
  // ::ffff:10.0.0.0/104 is written for IPv6 but means the IPv4 range 10.0.0.0/8.
  if (prefix >= 96 && isMapped(ip)) return { version: 4, base: value & 0xffffffffn & mask(4, prefix - 96), prefix: prefix - 96 };
  return { version, base: value & mask(version, prefix), prefix };
}

/** Ranges are kept normalised (host bits cleared, mapped IPv6 as IPv4), so equal fields mean the same addresses. */
export function sameRange(a: Cidr, b: Cidr): boolean {
  return a.version === b.version && a.base === b.base && a.prefix === b.prefix;
}

export function contains(range: Cidr, ip: Ip): boolean {
  return range.version === ip.version && (ip.value & mask(range.version, range.prefix)) === range.base;
}

function formatIpv6(value: bigint): string {
  const words = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  // The longest run of two or more zero groups becomes "::" (RFC 5952).
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

export function formatIp(ip: Ip): string {
  if (ip.version === 6) return formatIpv6(ip.value);
  return [24n, 16n, 8n, 0n].map((shift) => String((ip.value >> shift) & 0xffn)).join(".");
}

/** A single address prints without its prefix: `10.0.0.1`, `10.0.0.0/8`. */
export function formatCidr(range: Cidr): string {
  const address = formatIp({ version: range.version, value: range.base });
  return range.prefix === BITS[range.version] ? address : `${address}/${range.prefix}`;
}

/** The range holding exactly one address. */
export function single(ip: Ip): Cidr {
  return { version: ip.version, base: ip.value, prefix: BITS[ip.version] };
}
