// --metrics: GET /metrics (Prometheus text) and GET /healthz over HTTP, on an address of their own.
import type { Server } from "bun";
import { ChatError, describeSocketError } from "../errors.ts";
import type { Address } from "../options.ts";

export interface Watched {
  renderMetrics(): string;
}

export function serveMetrics(address: Address, chat: Watched): Server<undefined> {
  let server: Server<undefined>;
  try {
    server = Bun.serve({
      hostname: address.host,
      port: address.port,
      fetch(request) {
        const { pathname } = new URL(request.url);
        if (request.method !== "GET" && request.method !== "HEAD") return new Response("method not allowed\n", { status: 405 });
        if (pathname === "/metrics")
          return new Response(chat.renderMetrics(), { headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" } });
        if (pathname === "/healthz") return new Response("ok\n", { headers: { "content-type": "text/plain" } });
        return new Response("not found\n", { status: 404 });
      },
    });
  } catch (error) {
    throw new ChatError(`--metrics: ${describeSocketError(error, address)}`);
  }
  return server;
}
