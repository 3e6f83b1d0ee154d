// The browser side: Bun.serve with the page, /healthz, and /ws, whose upgrades are checked for their Origin and then handed to the chat server.
import type { Server, ServerWebSocket } from "bun";
import { ChatError, describeSocketError, formatAddress, reachableHost } from "../errors.ts";
import { pageAssets, SECURITY_HEADERS, type Asset } from "./assets.ts";
import type { Arrival } from "../chat/member.ts";
import type { Transport } from "./connection.ts";
import type { Log } from "./log.ts";
import { tlsError, type TlsFiles } from "./tls.ts";
import type { Lang } from "../wire/messages.ts";

export interface WebOptions {
  host: string;
  port: number;
  /** Origins, besides the page's own, whose pages may open the socket; "*" lets any in. */
  origins: readonly string[];
  tls?: TlsFiles;
  /** The longest line a person may send; a frame may hold one line and its newline, with room to spare. */
  maxLine: number;
  /** The room's language: the page's own words are in it from the start. */
  lang: Lang;
}

/** Who a socket came from and what it arrives as; the chat server keeps its connection in `member`. */
export interface WebPeer<M> {
  ip: string;
  port: number;
  arrival: Arrival;
  member?: M;
}

export type WebSocket<M> = ServerWebSocket<WebPeer<M>>;

/** What the chat server does with a socket once it is open: the same life as a TCP connection. */
export interface WebSockets<M> {
  open(socket: WebSocket<M>): void;
  message(socket: WebSocket<M>, data: Uint8Array): void;
  drain(socket: WebSocket<M>): void;
  close(socket: WebSocket<M>): void;
}

/**
 * A page's WebSocket as a connection's transport. A frame is taken whole or not at all: sent, or
 * queued by Bun up to its backpressure limit, is all written; dropped is nothing written, and the
 * outbox keeps it until drain, as for a kernel that took nothing. Binary frames: a write may end
 * inside a character, and the page decodes the frames as one stream.
 */
export class WebLink<M> implements Transport {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly arrival: Arrival;

  constructor(readonly socket: WebSocket<M>) {
    this.remoteAddress = socket.data.ip;
    this.remotePort = socket.data.port;
    this.arrival = socket.data.arrival;
  }

  write(data: Uint8Array, byteOffset = 0, byteLength = data.length - byteOffset): number {
    if (this.socket.readyState !== 1) return -1;
    return this.socket.sendBinary(data.subarray(byteOffset, byteOffset + byteLength)) === 0 ? 0 : byteLength;
  }

  /** The closing handshake, after what Bun has queued. */
  shutdown(): void {
    this.socket.close(1000);
  }

  terminate(): void {
    this.socket.terminate();
  }
}

/** What a page asks to arrive as: `/ws?name=NAME&room=ROOM` (the hub checks both, as it checks a first /nick). */
function arrivalOf(url: URL): Arrival {
  const name = url.searchParams.get("name");
  const room = url.searchParams.get("room");
  return {
    json: true,
    ...(name && name.length <= 64 ? { name } : {}),
    ...(room && room.length <= 64 ? { room } : {}),
  };
}

/** What Bun buffers for a socket before send() reports it dropped; the chat server's outbox holds the rest, capped by --max-queue. */
const BACKPRESSURE_LIMIT = 256 * 1024;
const encoder = new TextEncoder();

function respond(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { ...SECURITY_HEADERS, "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...headers } });
}

function serveAsset(request: Request, asset: Asset): Response {
  const headers = { ...SECURITY_HEADERS, "content-type": asset.type, "cache-control": asset.cacheControl, etag: asset.etag };
  if (request.headers.get("if-none-match") === asset.etag) return new Response(null, { status: 304, headers });
  return new Response(request.method === "HEAD" ? null : asset.body, { headers });
}

/**
 * A browser sends the Origin of the page that opens a socket: only the page's own (or one that
 * --web-origin names) may, or any site a member visits could speak in the room in their name.
 * A client that is not a browser sends none, and is let in like nc.
 */
export function originAllowed(origin: string | null, own: string, allowed: readonly string[]): boolean {
  if (origin === null) return true;
  const normal = origin.toLowerCase();
  return normal === own.toLowerCase() || allowed.includes("*") || allowed.some((o) => o.toLowerCase() === normal);
}

/** The page's address as a link that works from this machine: a wildcard listener is shown on loopback. */
export function pageLink(server: Server<unknown>): string {
  const { protocol, hostname, port } = server.url;
  return `${protocol}//${formatAddress(reachableHost(hostname.replace(/^\[(.*)\]$/, "$1")), Number(port))}/`;
}

export function serveWeb<M>(options: WebOptions, sockets: WebSockets<M>, log: Log): Server<WebPeer<M>> {
  const assets = pageAssets(options.lang);
  const scheme = options.tls ? "https" : "http";
  let server: Server<WebPeer<M>>;
  try {
    server = Bun.serve<WebPeer<M>>({
      hostname: options.host,
      port: options.port,
      // Not under `bun run` either: development mode injects an inline script that the policy blocks.
      development: false,
      ...(options.tls ? { tls: { cert: options.tls.cert, key: options.tls.key } } : {}),
      fetch(request, server) {
        const url = new URL(request.url);
        if (url.pathname === "/ws") {
          const origin = request.headers.get("origin");
          if (!originAllowed(origin, `${scheme}://${request.headers.get("host") ?? ""}`, options.origins)) {
            log.debug(`web: refused a socket from origin ${origin}`);
            return respond(403, "forbidden: this page's origin may not open the room's socket\n");
          }
          const peer = server.requestIP(request);
          if (!peer) return respond(400, "no peer address\n");
          if (server.upgrade(request, { data: { ip: peer.address, port: peer.port, arrival: arrivalOf(url) } })) return undefined;
          return respond(426, "upgrade required: /ws is a WebSocket\n", { upgrade: "websocket" });
        }
        if (request.method !== "GET" && request.method !== "HEAD") return respond(405, "method not allowed\n", { allow: "GET, HEAD" });
        if (url.pathname === "/healthz") return respond(200, "ok\n");
        const asset = assets.get(url.pathname);
        if (asset) return serveAsset(request, asset);
        return respond(404, "not found\n");
      },
      websocket: {
        maxPayloadLength: Math.max(64 * 1024, options.maxLine + 1024),
        backpressureLimit: BACKPRESSURE_LIMIT,
        closeOnBackpressureLimit: false,
        // Pinged after 30 s of quiet and closed if it does not answer: a page whose network dropped
        // without a word leaves within a minute, and its name is free for the page when it comes back.
        // (--idle is the chat's own, for people who are there but silent.)
        idleTimeout: 30,
        sendPings: true,
        open: (socket) => sockets.open(socket),
        message: (socket, message) => sockets.message(socket, typeof message === "string" ? encoder.encode(message) : message),
        drain: (socket) => sockets.drain(socket),
        close: (socket) => sockets.close(socket),
      },
    });
  } catch (error) {
    const where = { host: options.host, port: options.port };
    throw new ChatError(`--web: ${(options.tls && tlsError(error, options.tls)) || describeSocketError(error, where)}`);
  }
  return server;
}
