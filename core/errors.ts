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

/** IPv6 literals need brackets next to a port. */
export function formatHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/** `127.0.0.1:8000`, `[::1]:8000`. */
export function formatAddress(host: string, port: number): string {
  return `${formatHost(host)}:${port}`;
}
