// Turns what the user typed (flags, CHAT_* variables) into checked values; the flag wins over the variable.
import { parseCidr, parseIp, type Cidr } from "./wire/cidr.ts";
import { usageError } from "./errors.ts";
import { toMilliseconds } from "./wire/duration.ts";

export const DEFAULT_PORT = 8000;

export interface Address {
  host: string;
  port: number;
}

/** `host:port`, `host`, `[::1]:8000`, `[::1]`, `::1`, `:8000` or nothing (localhost); `what` names it in errors (`--metrics`). */
export function parseAddress(text: string | undefined, defaultHost = "localhost", what = "address"): Address {
  const input = (text ?? "").trim();
  if (input === "") return { host: defaultHost, port: DEFAULT_PORT };
  let host: string;
  let port: string | undefined;
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(input);
  if (bracketed) {
    host = bracketed[1]!;
    port = bracketed[2];
    if (!host.includes(":")) throw usageError(`bad ${what} "${text}": brackets are only for IPv6`);
    if (!parseIp(host)) throw usageError(`bad ${what} "${text}": ${host} is not an IPv6 address`);
  } else if (input.indexOf(":") !== input.lastIndexOf(":")) {
    // A bare IPv6 address such as ::1 has no port; anything else with two colons is a host and port run together.
    if (!parseIp(input)) throw usageError(`bad ${what} "${text}": put an IPv6 address in brackets, as in [::1]:8000`);
    host = input;
  } else {
    const colon = input.indexOf(":");
    host = colon < 0 ? input : input.slice(0, colon);
    port = colon < 0 ? undefined : input.slice(colon + 1);
  }
  if (host === "") host = defaultHost;
  if (!host.includes(":") && !/^[\p{L}\p{N}._-]+$/u.test(host)) throw usageError(`bad ${what} "${text}": expected HOST[:PORT]`);
  return { host, port: port === undefined ? DEFAULT_PORT : parsePort(port, `${what} "${text}"`) };
}

/**
 * Where a flag listens beside the chat (`--metrics`): `HOST:PORT`, `:PORT`, or a bare `PORT` as nc and most
 * exporters take it. A host alone is refused: the default port is the chat's own.
 */
export function parseEndpoint(text: string, flag: string, defaultHost: string): Address {
  const input = text.trim();
  if (/^\d+$/.test(input)) return { host: defaultHost, port: parsePort(input, `${flag} "${text}"`) };
  if (!hasPort(input)) throw usageError(`bad ${flag} "${text}": use HOST:PORT or :PORT`);
  return parseAddress(input, defaultHost, flag);
}

/** `HOST PORT`, as nc and telnet take them; a HOST that carries its own port too is refused. */
export function parseHostAndPort(host: string | undefined, port: string): Address {
  if (host !== undefined && hasPort(host.trim())) throw usageError(`the port is given twice: "${host}" and "${port}"`);
  return { host: parseAddress(host).host, port: parsePort(port, `port "${port}"`) };
}

/** Whether an address names its port: `h:80`, `:80`, `[::1]:80`; a bare IPv6 address's colons do not count. */
function hasPort(text: string): boolean {
  return text.startsWith("[") ? /^\[[^\]]*\]:/.test(text) : text.split(":").length === 2;
}

export function parsePort(text: string, what = "--port"): number {
  const port = /^\d{1,5}$/.test(text.trim()) ? Number(text) : NaN;
  if (!(port >= 0 && port <= 65535)) throw usageError(`bad ${what}: port must be a number from 0 to 65535, not "${text}"`);
  return port;
}

/** One of a few words, exactly as listed: `--lang en`, `--log-format json`. The choices read "a or b", "a, b or c". */
export function parseChoice<T extends string>(text: string, flag: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(text))
    throw usageError(`bad ${flag}: expected ${[choices.slice(0, -1).join(", "), choices.at(-1)].filter(Boolean).join(" or ")}, not "${text}"`);
  return text as T;
}

/** A whole number; `off` means 0 where 0 turns a limit off. */
export function parseCount(text: string, flag: string): number {
  const t = text.trim().toLowerCase();
  if (t === "off") return 0;
  if (!/^\d+$/.test(t) || !Number.isSafeInteger(Number(t))) throw usageError(`bad ${flag}: expected a whole number, 0 or more, not "${text}"`);
  return Number(t);
}

/** A positive rate such as `5` or `0.5` lines a second; 0 turns it off. */
export function parseRate(text: string, flag: string): number {
  const t = text.trim().toLowerCase();
  if (t === "off") return 0;
  const n = /^\d+(\.\d+)?$/.test(t) ? Number(t) : NaN;
  if (!Number.isFinite(n)) throw usageError(`bad ${flag}: expected a number, 0 or more, not "${text}"`);
  return n;
}

const SIZE_UNITS: Record<string, number> = {
  "": 1, b: 1, k: 1024, kb: 1000, kib: 1024, m: 1024 ** 2, mb: 1000 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1000 ** 3, gib: 1024 ** 3,
};

/** Bytes: `4096`, `64k`, `1MiB`, `2mb`. */
export function parseSize(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/.exec(text.trim().toLowerCase());
  const unit = m ? SIZE_UNITS[m[2]!] : undefined;
  if (!m || unit === undefined) throw usageError(`bad ${flag}: expected a size such as 4096, 64k or 1MiB, not "${text}"`);
  return Math.floor(Number(m[1]) * unit);
}


/** Milliseconds: `500ms`, `30s`, `5m`, `1h`, `1h30m`; a bare number is seconds; `0` or `off` is 0. */
export function parseDuration(text: string, flag: string): number {
  const ms = toMilliseconds(text);
  if (ms === undefined) throw usageError(`bad ${flag}: expected a duration such as 30s, 5m or 1h, not "${text}"`);
  return ms;
}


/** The environment twin of a flag: `--max-clients` ↔ `CHAT_MAX_CLIENTS`. */
export function envName(flag: string): string {
  return `CHAT_${flag.replace(/^-+/, "").replace(/-/g, "_").toUpperCase()}`;
}

export type Env = Record<string, string | undefined>;

/** The flag if given, else its CHAT_* variable, else undefined. */
export function pick(args: Record<string, unknown>, env: Env, flag: string): string | undefined {
  const value = args[flag];
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "true" : "false";
  const fromEnv = env[envName(flag)];
  return fromEnv === undefined || fromEnv === "" ? undefined : fromEnv;
}

/** A boolean flag or its variable (`1`, `true`, `yes`, `on` are true). */
export function pickBoolean(args: Record<string, unknown>, env: Env, flag: string): boolean {
  const value = pick(args, env, flag);
  if (value === undefined) return false;
  const t = value.trim().toLowerCase();
  if (["1", "true", "yes", "on", ""].includes(t)) return true;
  if (["0", "false", "no", "off"].includes(t)) return false;
  throw usageError(`bad ${envName(flag)}: expected true or false, not "${value}"`);
}

/**
 * Every value of a repeatable flag, in order: `--allow A --allow=B` gives [A, B] (citty keeps only
 * the last). Without the flag, its CHAT_* variable as a comma-separated list.
 */
export function pickAll(rawArgs: readonly string[], env: Env, flag: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < rawArgs.length; i++) {
    const arg = rawArgs[i]!;
    if (arg === "--") break;
    if (arg === `--${flag}` && i + 1 < rawArgs.length) values.push(rawArgs[++i]!);
    else if (arg.startsWith(`--${flag}=`)) values.push(arg.slice(flag.length + 3));
  }
  if (values.length > 0) return values;
  const fromEnv = env[envName(flag)] ?? "";
  return fromEnv.split(",").map((v) => v.trim()).filter((v) => v !== "");
}

/** CIDR ranges or single addresses, IPv4 or IPv6. */
export function parseRanges(values: readonly string[], flag: string): Cidr[] {
  return values.map((value) => {
    const range = parseCidr(value);
    if (!range) throw usageError(`bad ${flag}: expected an IP address or CIDR range such as 10.0.0.0/8 or 2001:db8::/32, not "${value}"`);
    return range;
  });
}

/** Web origins such as `https://chat.example.org` (scheme, host and port, nothing after), or `*` for any. */
export function parseOrigins(values: readonly string[], flag: string): string[] {
  return values.map((value) => {
    if (value === "*") return value;
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch {}
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.origin !== value.replace(/\/$/, "").toLowerCase())
      throw usageError(`bad ${flag}: expected an origin such as https://chat.example.org or *, not "${value}"`);
    return url.origin;
  });
}
