// The first bytes that are not chat: a TLS handshake, a web request; and lines that only look like one.
import { expect, test } from "bun:test";
import { opensHttp, opensTls } from "../../core/server/sniff.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

test("a TLS record header is TLS; a line starting with other bytes is not", () => {
  expect(opensTls(new Uint8Array([0x16, 0x03, 0x01, 0x02, 0x00]))).toBe(true);
  expect(opensTls(new Uint8Array([0x16, 0x03]))).toBe(true);
  expect(opensTls(new Uint8Array([0x16]))).toBe(false);
  expect(opensTls(new Uint8Array([0x16, 0x04, 0x01]))).toBe(false);
  expect(opensTls(bytes("hello\n"))).toBe(false);
  expect(opensTls(new Uint8Array(0))).toBe(false);
});

test("request lines of every method and version are web requests", () => {
  for (const method of ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE"])
    expect(opensHttp(bytes(`${method} /x HTTP/1.1\r\nHost: a\r\n\r\n`))).toBe(true);
  expect(opensHttp(bytes("GET / HTTP/1.0\n"))).toBe(true);
  expect(opensHttp(bytes("CONNECT example.com:443 HTTP/1.1\r\n"))).toBe(true);
  expect(opensHttp(bytes("GET / HTTP/2\r\n"))).toBe(true);
});

test("chat that mentions HTTP, or a request line not yet ended, is not", () => {
  for (const line of ["GET this: HTTP is old\n", "get / http/1.1\n", "GET / HTTP/1.1", "GET  / HTTP/1.1\n", "Hello GET / HTTP/1.1\n", "GETTER / HTTP/1.1\n", "POST\n", ""])
    expect(opensHttp(bytes(line))).toBe(false);
});
