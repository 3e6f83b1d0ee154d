// The kernel's queue of connections waiting to be accepted, made as deep as the system allows: Bun listens with 512 and has no option for more.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** The C libraries listen(2) may be found in: glibc, then musl. */
const LIBC = ["libc.so.6", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1"];

/**
 * A crowd connects faster than one event loop accepts while it also writes to everyone: past
 * 512 waiting, Linux drops the connect and the client retries a second later, and with 64
 * connects in flight one such burst costs them all that second. Calling listen(2) again on the
 * listening socket with a larger backlog deepens the queue, up to net.core.somaxconn (4096 by
 * default). Linux only; elsewhere, or if any step fails, the queue stays as Bun made it.
 * Returns the backlog asked for, or undefined when nothing was changed.
 */
export function deepenBacklog(port: number, depth = 65535): number | undefined {
  if (process.platform !== "linux") return undefined;
  const fd = listeningFd(port);
  if (fd === undefined) return undefined;
  try {
    // Loaded here, not at the top: only a server that listens needs it, and at once, before the first connect.
    const { dlopen, FFIType } = require("bun:ffi") as typeof import("bun:ffi");
    for (const name of LIBC) {
      try {
        const libc = dlopen(name, { listen: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 } });
        const ok = libc.symbols.listen(fd, depth) === 0;
        libc.close();
        return ok ? depth : undefined;
      } catch {
        // not this C library: try the next
      }
    }
  } catch {
    // no FFI in this runtime: keep Bun's backlog
  }
  return undefined;
}

/**
 * The sockets listening on port (any address), as `socket:[INODE]`, from proc's TCP tables:
 * `/proc/self` for this process's network namespace (the default), `/proc` for the machine's.
 */
export function listeningSockets(port: number, proc = "/proc/self"): Set<string> {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  const inodes = new Set<string>();
  for (const table of [`${proc}/net/tcp`, `${proc}/net/tcp6`]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[3] === "0A" && fields[1]?.endsWith(hex) && fields[9]) inodes.add(`socket:[${fields[9]}]`);
    }
  }
  return inodes;
}

/** This process's socket that listens on port (any address), found through /proc: Bun does not expose it. */
function listeningFd(port: number): number | undefined {
  const inodes = listeningSockets(port);
  if (inodes.size === 0) return undefined;
  try {
    for (const name of readdirSync("/proc/self/fd")) {
      try {
        if (inodes.has(readlinkSync(`/proc/self/fd/${name}`))) return Number(name);
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    // no /proc
  }
  return undefined;
}
