// What the security tests share: certificates made with openssl, TLS peers, peers from another loopback address.
import type { Socket } from "bun";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Lines } from "./helpers.ts";

export interface Certificates {
  dir: string;
  /** The CA that signed server.pem, and one that did not. */
  ca: string;
  otherCa: string;
  cert: string;
  key: string;
  remove(): void;
}

function openssl(dir: string, args: string[]): void {
  const result = Bun.spawnSync(["openssl", ...args], { cwd: dir, stdout: "pipe", stderr: "pipe" });
  if (result.exitCode !== 0) throw new Error(`openssl ${args.join(" ")} failed:\n${result.stderr.toString()}`);
}

/** A private CA, a server certificate it signs for 127.0.0.1, ::1 and localhost, and an unrelated CA; in a temporary directory. */
export function makeCertificates(): Certificates {
  const dir = mkdtempSync(join(tmpdir(), "chat-tls-"));
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl(dir, ["req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=chat test CA"]);
  openssl(dir, ["req", "-x509", ...ec, "-keyout", "other.key", "-out", "other.pem", "-days", "2", "-subj", "/CN=another CA"]);
  openssl(dir, ["req", ...ec, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"]);
  writeFileSync(join(dir, "san.cnf"), "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n");
  openssl(dir, ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "san.cnf"]);
  return {
    dir,
    ca: join(dir, "ca.pem"),
    otherCa: join(dir, "other.pem"),
    cert: join(dir, "server.pem"),
    key: join(dir, "server.key"),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface TlsPeer {
  socket: Socket<undefined>;
  lines: Lines;
  say(text: string): void;
  closed: Promise<void>;
  close(): void;
}

/** A TLS client trusting ca; resolves once the handshake succeeded. */
export async function dialTls(port: number, ca: string): Promise<TlsPeer> {
  const lines = new Lines();
  let closed!: () => void;
  const closedPromise = new Promise<void>((resolve) => (closed = resolve));
  let shook!: (error?: Error) => void;
  const handshake = new Promise<Error | undefined>((resolve) => (shook = resolve));
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    tls: { ca: Bun.file(ca) },
    socket: {
      binaryType: "uint8array",
      handshake: (_s, ok, error) => shook(ok ? undefined : (error ?? new Error("handshake failed"))),
      data: (_s, bytes) => lines.push(bytes),
      close: () => {
        shook(new Error("closed before the handshake"));
        lines.end();
        closed();
      },
      error: () => {},
    },
  });
  const failure = await handshake;
  if (failure) throw failure;
  return { socket, lines, say: (text) => void socket.write(`${text}\n`), closed: closedPromise, close: () => socket.terminate() };
}

/** A plain TCP client whose address is `from` (any 127.x.y.z works on Linux loopback): to be told apart from 127.0.0.1. */
export function dialFrom(port: number, from: string, host = "127.0.0.1") {
  const lines = new Lines();
  const socket = connect({ host, port, localAddress: from });
  const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
  socket.on("data", (bytes: Buffer) => lines.push(bytes));
  socket.on("close", () => lines.end());
  socket.on("error", () => {});
  return {
    lines,
    closed,
    until: (re: RegExp, ms?: number) => lines.until(re, ms),
    say: (text: string) => void socket.write(`${text}\n`),
    close: () => socket.destroy(),
  };
}
