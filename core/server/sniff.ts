// What a connection's first bytes say when they are not chat: a TLS handshake on a plain port, or a web request.

const encoder = new TextEncoder();
const latin1 = new TextDecoder("latin1");

/** Whether a connection's first bytes are a TLS handshake record (0x16, version 3.x): no one types those. */
export function opensTls(chunk: Uint8Array): boolean {
  return chunk.length >= 2 && chunk[0] === 0x16 && chunk[1] === 0x03;
}

/** A TLS client cannot read it, but plain text first makes it fail as talking to a server without TLS (rather than a bare close). */
export const TLS_REPLY = encoder.encode("* this port speaks plain text, not TLS\n");

const HTTP_REQUEST = /^(GET|HEAD|POST|PUT|DELETE|OPTIONS|PATCH|CONNECT|TRACE) \S+ HTTP\/\d(\.\d)?\r?\n/;

/** Whether a connection opens with an HTTP request line: a browser or a scanner, not someone chatting. */
export function opensHttp(chunk: Uint8Array): boolean {
  const head = chunk.subarray(0, 512);
  return head.length >= 13 && head[0]! >= 0x41 && head[0]! <= 0x5a && HTTP_REQUEST.test(latin1.decode(head));
}

export const HTTP_REPLY = encoder.encode(
  "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n" +
    "This is a chat server, not a web server: join with chat connect HOST:PORT, nc or telnet.\r\n",
);
