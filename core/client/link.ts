// The client's socket: Bun.connect, writes that wait for the kernel, and a half-close that loses nothing.
import type { Socket } from "bun";
import { ChatError, describeSocketError } from "../errors.ts";
import { handshakeError, type TlsTrust } from "./tls.ts";

export interface LinkHandlers {
  data(bytes: Uint8Array): void;
  /** The server closed, or the connection broke. */
  closed(error?: Error): void;
}

export class Link {
  readonly #socket: Socket<undefined>;
  #drained?: () => void;
  #open = true;

  private constructor(socket: Socket<undefined>) {
    this.#socket = socket;
  }

  /** With tls, resolves once the handshake is done; a certificate that fails the check is a ChatError. */
  static async open(host: string, port: number, handlers: LinkHandlers, tls?: TlsTrust): Promise<Link> {
    let link: Link | undefined;
    let lastError: Error | undefined;
    // Bun reports a failed certificate check only here: open runs, then close, and error never does.
    let shookHands!: (failure?: Error | null) => void;
    const handshake = new Promise<Error | null | undefined>((resolve) => (shookHands = resolve));
    let socket: Socket<undefined>;
    let gone = false;
    try {
      socket = await Bun.connect({
        hostname: host,
        port,
        allowHalfOpen: true, // after our FIN, the server's last lines still arrive
        ...(tls ? { tls: { ...(tls.ca ? { ca: tls.ca } : {}), rejectUnauthorized: !tls.insecure, serverName: host } } : {}),
        socket: {
          binaryType: "uint8array",
          handshake: (_socket, ok, error) => shookHands(ok ? undefined : (error ?? new Error("the handshake failed"))),
          data: (_socket, bytes) => {
            try {
              handlers.data(bytes);
            } catch (error) {
              // Bun would pass it to the error handler and go on; a bug here must not pass silently.
              queueMicrotask(() => {
                throw error;
              });
            }
          },
          drain: () => {
            if (link) link.#wake();
          },
          error: (_socket, error) => {
            lastError = error;
          },
          close: () => {
            shookHands(lastError ?? null);
            gone = true;
            if (link) {
              link.#open = false;
              link.#wake();
            }
            handlers.closed(lastError);
          },
          connectError: () => {},
        },
      });
    } catch (error) {
      throw new ChatError(describeSocketError(error, { host, port }));
    }
    socket.setNoDelay(true);
    if (tls) {
      const failure = await handshake;
      if (failure !== undefined) {
        socket.terminate();
        throw new ChatError(handshakeError(failure, host, port, tls));
      }
    }
    link = new Link(socket);
    if (gone) link.#open = false; // closed right after the handshake, before this line ran
    return link;
  }

  /** Resolves once the kernel has taken every byte; false if the connection is gone. */
  async write(bytes: Uint8Array): Promise<boolean> {
    let offset = 0;
    while (offset < bytes.length) {
      if (!this.#open) return false;
      const written = this.#socket.write(offset === 0 ? bytes : bytes.subarray(offset));
      if (written < 0) return false;
      offset += written;
      if (offset < bytes.length) await new Promise<void>((resolve) => (this.#drained = resolve));
    }
    return true;
  }

  /** Sends FIN: we have nothing more to say, but still listen. */
  finish(): void {
    if (this.#open) this.#socket.shutdown();
  }

  close(): void {
    if (this.#open) this.#socket.terminate();
  }

  /** The socket can take more, or has closed: a waiting write goes on. */
  #wake(): void {
    const wake = this.#drained;
    this.#drained = undefined;
    wake?.();
  }
}
