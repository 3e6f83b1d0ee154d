// TLS: serve --tls-cert/--tls-key, connect --tls with --ca or --insecure, openssl s_client as a third-party client, plain clients turned away.
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { chatConnect, closePeers, dial, escape, join, Lines, pump, run, serve, unique, type Server } from "../helpers.ts";
import { dialTls, makeCertificates, type Certificates } from "../secure.ts";

let certs: Certificates;
let server: Server;
beforeAll(async () => {
  certs = makeCertificates();
  server = await serve(["--tls-cert", certs.cert, "--tls-key", certs.key, "--rate", "0"]);
});
afterAll(async () => {
  await server.kill();
  certs.remove();
});
afterEach(closePeers);

/** chat connect to the TLS server with input lines. */
const connect = (args: string[], input: string) => chatConnect(server.port, args, input);

test("chat connect --tls --ca: the conversation goes over TLS", async () => {
  const watcher = await dialTls(server.port, certs.ca);
  await watcher.lines.until(/^You are /);
  const text = unique("tls");
  const { code, stdout, stderr } = await connect(["--tls", "--ca", certs.ca, "--name", "tlsuser"], `${text}\n`);
  expect(stderr).toEqual([]);
  expect(code).toBe(0);
  expect(stdout).toContain(`tlsuser: ${text}`);
  await watcher.lines.until(new RegExp(`^tlsuser: ${text}$`));
  watcher.close();
});

test("a certificate from another CA is refused: one line, exit 1, nothing sent", async () => {
  const { code, stdout, stderr } = await connect(["--tls", "--ca", certs.otherCa], "must-not-arrive\n");
  expect(code).toBe(1);
  expect(stdout).toEqual([]);
  expect(stderr).toHaveLength(1);
  expect(stderr[0]).toMatch(new RegExp(`^chat: the certificate of 127\\.0\\.0\\.1:${server.port} is not trusted: .+ \\(checked against ${escape(certs.otherCa)}\\)$`));
});

test("without --ca, a private CA is not trusted, and the error says what to do", async () => {
  const { code, stderr } = await connect(["--tls"], "x\n");
  expect(code).toBe(1);
  expect(stderr).toHaveLength(1);
  expect(stderr[0]).toMatch(/is not trusted: .+; for a private CA use --ca FILE$/);
});

test("--insecure connects without checking, and says so", async () => {
  const text = unique("insecure");
  const { code, stdout, stderr } = await connect(["--tls", "--insecure", "--name", "risky"], `${text}\n`);
  expect(code).toBe(0);
  expect(stdout).toContain(`risky: ${text}`);
  expect(stderr).toEqual([
    "chat: warning: --insecure: the server's certificate is not checked; anyone on the path can read and change the conversation",
  ]);
});

test("openssl s_client is a client like any other", async () => {
  const watcher = await dialTls(server.port, certs.ca);
  await watcher.lines.until(/^You are /);
  await using sclient = (() => {
    const proc = Bun.spawn(
      ["openssl", "s_client", "-connect", `127.0.0.1:${server.port}`, "-CAfile", certs.ca, "-verify_return_error", "-quiet"],
      { stdin: "pipe", stdout: "pipe", stderr: "pipe" },
    );
    return { proc, async [Symbol.asyncDispose]() { proc.kill(); await proc.exited; } };
  })();
  const out = new Lines();
  void pump(sclient.proc.stdout, out);
  const [, name] = await out.until(/^You are (.+)$/);
  const text = unique("openssl");
  sclient.proc.stdin.write(`${text}\n`);
  sclient.proc.stdin.flush();
  await watcher.lines.until(new RegExp(`^${escape(name!)}: ${text}$`));
  await out.until(new RegExp(`^${escape(name!)}: ${text}$`));
  watcher.close();
});

test("a plain client that talks to the TLS port is closed at once and reads no chat", async () => {
  const plain = await dial(server.port);
  plain.say("hello, is this chat?");
  await plain.closed;
  expect(plain.lines.all.some((l) => /You are|has arrived|hello/.test(l))).toBe(false);
});

test("a plain client that says nothing is closed after --login-timeout", async () => {
  await using quick = await serve(["--tls-cert", certs.cert, "--tls-key", certs.key, "--login-timeout", "500ms"]);
  const plain = await dial(quick.port);
  const started = Date.now();
  await plain.closed;
  expect(Date.now() - started).toBeLessThan(4000);
  expect(plain.lines.all).toEqual([]);
});

test("chat connect without --tls on a TLS port: one line that says to use --tls, exit 1", async () => {
  const { code, stderr } = await connect([], "hi\n");
  expect(code).toBe(1);
  expect(stderr).toEqual([`chat: the server at 127.0.0.1:${server.port} speaks TLS: use --tls`]);
});

test("chat connect --tls to a plain server: one line, exit 1; its handshake is never said in the room", async () => {
  await using plain = await serve();
  const watcher = await join(plain.port);
  const client = run(["connect", `127.0.0.1:${plain.port}`, "--tls", "--ca", certs.ca], { stdin: "ignore" });
  expect(await client.exited).toBe(1);
  expect(client.stderr.all).toHaveLength(1);
  expect(client.stderr.all[0]).toMatch(new RegExp(`^chat: TLS handshake with 127\\.0\\.0\\.1:${plain.port} failed: it does not seem to speak TLS`));
  const marker = unique("after");
  watcher.say(marker);
  await watcher.until(new RegExp(`^${escape(watcher.name)}: ${marker}$`));
  // Nothing but its arrival and departure, at most: no line of binary in the room...
  const others = watcher.lines.all.slice(1).filter((l) => l !== `${watcher.name}: ${marker}`);
  for (const line of others) expect(line).toMatch(/^127\.0\.0\.1:\d+ has (arrived|left)$/);
  // ...nor in its history.
  const newcomer = await join(plain.port);
  newcomer.say(marker);
  await newcomer.until(new RegExp(`^${escape(newcomer.name)}: ${marker}$`));
  expect(newcomer.lines.all.filter((l) => l.startsWith("[")).map((l) => l.replace(/^\[\d\d:\d\d\] /, ""))).toEqual([`${watcher.name}: ${marker}`]);
});

test("TLS and a room password together", async () => {
  await using locked = await serve(["--tls-cert", certs.cert, "--tls-key", certs.key], { CHAT_PASSWORD: "tls-and-pass" });
  const text = unique("both");
  const { code, stdout } = await chatConnect(locked.port, ["--tls", "--ca", certs.ca, "--name", "both"], `${text}\n`, { CHAT_PASSWORD: "tls-and-pass" });
  expect(code).toBe(0);
  expect(stdout).toContain(`both: ${text}`);
});

for (const [args, code, message] of [
  [["--tls-cert", "CERT"], 2, "chat: --tls-cert and --tls-key go together"],
  [["--tls-cert", "CERT", "--tls-key", "/no/such/key"], 2, "chat: cannot read --tls-key /no/such/key: no such directory"],
  [["--tls-cert", "OTHER", "--tls-key", "KEY"], 1, "chat: the key in KEY does not belong to the certificate in OTHER"],
  [["--tls-cert", "KEY", "--tls-key", "KEY"], 1, "chat: cannot use KEY and KEY as a PEM certificate and key (ERR_OSSL_PEM_NO_START_LINE)"],
] as const) {
  test(`serve ${args.join(" ")}: "${message}", exit ${code}`, async () => {
    const files = (a: string) => a.replaceAll("OTHER", certs.otherCa).replaceAll("CERT", certs.cert).replaceAll("KEY", certs.key);
    const chat = run(["serve", "--host", "127.0.0.1", "--port", "0", ...args.map(files)], { stdin: "ignore" });
    expect(await chat.exited).toBe(code);
    expect(chat.stderr.all[0]).toBe(files(message));
    expect(chat.stderr.all.join("\n")).not.toContain("    at ");
  });
}

test("over TLS a full server still says why, once the handshake is done", async () => {
  await using full = await serve(["--tls-cert", certs.cert, "--tls-key", certs.key, "--max-clients", "1"]);
  const first = await dialTls(full.port, certs.ca);
  await first.lines.until(/^You are /);
  const second = await dialTls(full.port, certs.ca);
  await second.lines.until(/^\* server is full$/);
  await second.closed;
  first.close();
});

test("--ca and --insecure need --tls, and do not go together", async () => {
  for (const [args, message] of [
    [["--ca", "x.pem"], "chat: --ca needs --tls"],
    [["--insecure"], "chat: --insecure needs --tls"],
    [["--tls", "--ca", "x.pem", "--insecure"], "chat: --ca and --insecure cannot be used together"],
  ] as const) {
    const chat = run(["connect", `127.0.0.1:${server.port}`, ...args], { stdin: "ignore" });
    expect(await chat.exited).toBe(2);
    expect(chat.stderr.all[0]).toBe(message);
  }
});

test("a plain server still works for a plain client (TLS is off by default)", async () => {
  await using plain = await serve();
  await join(plain.port);
});
