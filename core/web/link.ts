// The page's connection to the server: a WebSocket that comes back by itself, with backoff and jitter, and hands over whole lines.

export interface LinkHandlers {
  /** Connected (again): the server is about to greet us. */
  open(): void;
  /** One line the server sent: a JSON event. */
  line(text: string): void;
  /** The connection is gone; the next try is in ms. */
  lost(ms: number): void;
}

/** The first retry waits about this long; each failure doubles it, up to MOST_MS. */
const FIRST_MS = 500;
const MOST_MS = 15_000;

export class Link {
  readonly #url: () => string;
  readonly #handlers: LinkHandlers;
  #socket?: WebSocket;
  #failures = 0;
  #retry?: ReturnType<typeof setTimeout>;
  #stopped = false;

  /** url: where to connect, asked again at each try (what the page arrives as may have changed). */
  constructor(url: () => string, handlers: LinkHandlers) {
    this.#url = url;
    this.#handlers = handlers;
    // The network is back: no reason to wait out the backoff.
    addEventListener("online", () => this.#now());
  }

  start(): void {
    this.#stopped = false;
    if (!this.#socket && this.#retry === undefined) this.#connect();
  }

  /** Closes and stays closed until start(). */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retry);
    this.#retry = undefined;
  }

  get open(): boolean {
    return this.#socket?.readyState === WebSocket.OPEN;
  }

  /** Sends one line; false when not connected, so the caller keeps it. */
  send(line: string): boolean {
    if (!this.open) return false;
    this.#socket!.send(`${line}\n`);
    return true;
  }

  #now(): void {
    if (this.#socket || this.#retry === undefined) return;
    clearTimeout(this.#retry);
    this.#retry = undefined;
    this.#connect();
  }

  #connect(): void {
    this.#retry = undefined;
    const socket = new WebSocket(this.#url());
    // Binary frames: the server writes its byte stream as it goes, so a frame may end inside a character.
    socket.binaryType = "arraybuffer";
    const decoder = new TextDecoder();
    let partial = "";
    socket.onopen = () => {
      this.#failures = 0;
      this.#handlers.open();
    };
    socket.onmessage = (message: MessageEvent<ArrayBuffer | string>) => {
      const text = partial + (typeof message.data === "string" ? message.data : decoder.decode(message.data, { stream: true }));
      const lines = text.split("\n");
      partial = lines.pop()!;
      for (const line of lines) if (line !== "") this.#handlers.line(line);
    };
    // Chromium fires error and no close when a policy or the network stops the socket: either ends it, once.
    const lost = () => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
      socket.close();
      this.#again();
    };
    socket.onclose = lost;
    socket.onerror = lost;
    this.#socket = socket;
  }

  /** Full jitter on half the delay: a server that restarts is not met by every page at the same instant. */
  #again(): void {
    if (this.#stopped) return this.#handlers.lost(0);
    const ceiling = Math.min(MOST_MS, FIRST_MS * 2 ** this.#failures++);
    const ms = Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
    this.#handlers.lost(ms);
    this.#retry = setTimeout(() => this.#connect(), ms);
  }
}
