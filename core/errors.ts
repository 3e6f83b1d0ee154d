// A ChatError is a failure the user caused or can fix: one line, and the exit code to leave with.

export class ChatError extends Error {
  override readonly name = "ChatError";
  readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** A usage mistake (bad flag value, bad address): exit 2. */
export function usageError(message: string): ChatError {
  return new ChatError(message, 2);
}

/** The code of a system or OpenSSL error (`ENOENT`, `ERR_OSSL_…`), or "" when it has none. */
export function errorCode(error: unknown): string {
  return (error as { code?: string } | null | undefined)?.code ?? "";
}

/** Bun's socket errors say "Failed to connect"; the code says why. */
export function describeSocketError(error: unknown, what: { host: string; port: number }): string {
  const code = errorCode(error);
  const where = formatAddress(what.host, what.port);
  switch (code) {
    case "EADDRINUSE":
      return `port ${what.port} is already in use`;
    case "EACCES":
    case "EPERM":
      return `not allowed to listen on ${where}`;
    case "EADDRNOTAVAIL":
      return `address ${formatHost(what.host)} is not available on this machine`;
    case "ECONNREFUSED":
      return `connection refused by ${where}`;
    case "ENOTFOUND":
    case "EAI_NONAME":
    case "EAI_AGAIN":
    case "DNSException":
      return `host not found: ${what.host}`;
    case "ETIMEDOUT":
      return `connection to ${where} timed out`;
    case "ECONNRESET":
      return `connection to ${where} was reset`;
    case "ENETUNREACH":
    case "EHOSTUNREACH":
      return `no route to ${where}`;
    default: {
      const message = error instanceof Error ? error.message : String(error);
      return `${message} (${where}${code ? `, ${code}` : ""})`;
    }
  }
}

/** Why a file named by a flag could not be read or written, in the words `ls` and `cat` use; never the internals of how. */
export function describeFileError(error: unknown, path: string): string {
  switch (errorCode(error)) {
    case "ENOENT":
      return directoryExists(path) ? "no such file" : "no such directory";
    case "ENOTDIR":
      return "no such directory";
    case "EACCES":
    case "EPERM":
      return "permission denied";
    case "EISDIR":
      return "is a directory";
    case "EROFS":
      return "read-only file system";
    case "ENOSPC":
      return "no space left on the device";
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

/** Whether the directory a path names a file in exists. node:fs is loaded here only, on a failure: a server has no use for it. */
function directoryExists(path: string): boolean {
  const slash = path.lastIndexOf("/");
  const directory = slash < 0 ? "." : slash === 0 ? "/" : path.slice(0, slash);
  const fs = require("node:fs") as typeof import("node:fs");
  return fs.existsSync(directory) && fs.statSync(directory).isDirectory();
}

/** IPv6 literals need brackets next to a port. */
export function formatHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/** An address a listener on host is reached at from this machine: a wildcard (`0.0.0.0`, `::`) is reached on loopback. */
export function reachableHost(host: string): string {
  return host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
}

/** `127.0.0.1:8000`, `[::1]:8000`. */
export function formatAddress(host: string, port: number): string {
  return `${formatHost(host)}:${port}`;
}
