// The server's log as the server writes to it: consola in `serve`, anything with these four levels in a test.

export interface Log {
  error(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  debug(message: string): void;
}
