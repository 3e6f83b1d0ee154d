// The client's socket: Bun.connect, writes that wait for the kernel, and a half-close that loses nothing.
import type { Socket } from "bun";
import { ChatError, describeSocketError } from "./errors.ts";

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

  static async open(host: string, port: number, handlers: LinkHandlers): Promise<Link> {
    let link: Link | undefined;
    let lastError: Error | undefined;
    try {
      const socket = await Bun.connect({
        hostname: host,
        port,
        allowHalfOpen: true, // after our FIN, the server's last lines still arrive
        socket: {
          binaryType: "uint8array",
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
          drain: () => link?.wake(),
          error: (_socket, error) => {
            lastError = error;
          },
          close: () => {
            if (!link) return;
            link.#open = false;
            link.wake();
            handlers.closed(lastError);
          },
          connectError: () => {},
        },
      });
      socket.setNoDelay(true);
      link = new Link(socket);
      return link;
    } catch (error) {
      throw new ChatError(describeSocketError(error, { host, port }));
    }
  }

  get open(): boolean {
    return this.#open;
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
  wake(): void {
    const wake = this.#drained;
    this.#drained = undefined;
    wake?.();
  }
}
