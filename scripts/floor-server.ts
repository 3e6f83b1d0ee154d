// A measuring stick for `npm run bench`, not a chat server: the least a Bun program can do and still pass the conns scenario.
// It greets each connection and hands every chunk it reads to every connection, with no names, no
// announcements, no queues and no limits. Compiled like chat, its peak RSS with the scenario's 5000
// clients is the runtime's own floor: what no server written for Bun 1.4.4 can go below.
/** Listens on port with the floor's handlers; `size` is how many connections it holds. */
export function listenFloor(port: number): { port: number; size: () => number } {
  const everyone = new Set<Bun.Socket>();
  const hello = new TextEncoder().encode("hello\n");
  const listener = Bun.listen({
    hostname: "127.0.0.1",
    port,
    socket: {
      open(socket) {
        everyone.add(socket);
        socket.write(hello);
      },
      data(_socket, chunk) {
        for (const socket of everyone) socket.write(chunk);
      },
      close(socket) {
        everyone.delete(socket);
      },
    },
  });
  return { port: listener.port, size: () => everyone.size };
}

if (import.meta.main) {
  const port = Number(process.argv[process.argv.indexOf("--port") + 1]);
  listenFloor(port);
  console.error(`listening on 127.0.0.1:${port}`);
}
