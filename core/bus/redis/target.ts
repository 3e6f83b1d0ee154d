// Where the cluster's Redis is: the URL a user gave, checked, and how to name it without its password.

export interface RedisTarget {
  /** What Bun's client is given: the URL as the user wrote it, password and db included. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  /** With tls: the PEM of the CA to trust for Redis's certificate (--redis-ca); the system's CAs without it. */
  readonly ca?: string;
  readonly db: number;
  /** `HOST:PORT`, the only way the target is ever named in a log line, an error or /metrics. */
  readonly where: string;
}

const DEFAULT_REDIS_PORT = 6379;

/** The target, or one line saying what is wrong with the URL; the line never repeats the URL, which may hold a password. */
export function parseRedisUrl(text: string): RedisTarget | string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return "bad --redis: expected redis://[:PASSWORD@]HOST[:PORT][/DB] or rediss://…";
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") return `bad --redis: the scheme must be redis:// or rediss://, not ${url.protocol}//`;
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  if (host === "") return "bad --redis: the URL names no host";
  const port = url.port === "" ? DEFAULT_REDIS_PORT : Number(url.port);
  const path = url.pathname.replace(/^\//, "");
  if (path !== "" && !/^\d{1,5}$/.test(path)) return "bad --redis: the database after the host must be a number, such as /0";
  const db = path === "" ? 0 : Number(path);
  return { url: text.trim(), host, port, tls: url.protocol === "rediss:", db, where: `${host.includes(":") ? `[${host}]` : host}:${port}` };
}
