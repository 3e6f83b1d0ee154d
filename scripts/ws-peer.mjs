// `node scripts/ws-peer.mjs --port PORT`: the WebSocket chat people would write instead of chat serve --web, for
// `npm run bench` to measure beside it: Node's `ws`, every message sent on to every client (the sender too), nothing else.
import { parseArgs } from "node:util";
import { WebSocketServer } from "ws";

const { values } = parseArgs({ options: { port: { type: "string" }, host: { type: "string", default: "127.0.0.1" } } });
const server = new WebSocketServer({ host: values.host, port: Number(values.port), perMessageDeflate: false });
server.on("connection", (socket) => {
  socket.on("message", (data, isBinary) => {
    for (const client of server.clients) if (client.readyState === 1) client.send(data, { binary: isBinary });
  });
  socket.on("error", () => {});
});
server.on("listening", () => console.error(`ws peer listening on ${values.host}:${values.port}`));
process.on("SIGTERM", () => process.exit(0));
