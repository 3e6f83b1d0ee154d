// The command line itself: --version, --help, bad usage, and errors a user can cause, each one line.
import { afterAll, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join as joinPath } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { describeFileError } from "../../core/errors.ts";
import { CHAT, closePeers, join, run, serve } from "../helpers.ts";

const dir = mkdtempSync(joinPath(tmpdir(), "chat-cli-"));
afterAll(() => {
  closePeers();
  rmSync(dir, { recursive: true, force: true });
});

test("chat --version prints the version from package.json", async () => {
  const chat = run(["--version"], { stdin: "ignore" });
  expect(await chat.exited).toBe(0);
  expect(chat.stdout.all).toEqual([pkg.version]);
});

for (const args of [["--help"], ["serve", "--help"], ["connect", "--help"], ["-h"], ["help"], ["help", "serve"], ["serve", "-h"]]) {
  test(`chat ${args.join(" ")} prints usage and exits 0`, async () => {
    const chat = run(args, { stdin: "ignore" });
    expect(await chat.exited).toBe(0);
    const text = chat.stdout.all.join("\n");
    expect(text).toContain("Usage: chat");
    expect(text).not.toContain("\x1b["); // no colour in a pipe
  });
}

for (const command of ["serve", "connect"]) {
  test(`chat help ${command} is chat ${command} --help`, async () => {
    const [viaHelp, viaFlag] = [run(["help", command], { stdin: "ignore" }), run([command, "--help"], { stdin: "ignore" })];
    expect([await viaHelp.exited, await viaFlag.exited]).toEqual([0, 0]);
    expect(viaHelp.stdout.all).toEqual(viaFlag.stdout.all);
    expect(viaHelp.stdout.all[2]).toBe(`Usage: chat ${command} ${command === "connect" ? "[HOST[:PORT]] [PORT] " : ""}[OPTIONS]`);
  });
}

test("help fits 80 columns, lists the options by group, and ends with examples", async () => {
  const helps = await Promise.all(
    [[], ["serve"], ["connect"]].map(async (args) => {
      const chat = run(["help", ...args], { stdin: "ignore" });
      expect(await chat.exited).toBe(0);
      return chat.stdout.all;
    }),
  );
  for (const lines of helps) {
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
    expect(lines.filter((line) => /^[A-Z][\w ]*:$/.test(line)).at(-1)).toBe("Examples:");
  }
  const [main, serve, connect] = helps as [string[], string[], string[]];
  expect(main.filter((line) => /^\S.*:$/.test(line))).toEqual(["Commands:", "General:", "Examples:"]);
  expect(serve.filter((line) => /^\S.*:$/.test(line))).toEqual(["Network:", "The room:", "Limits:", "Security:", "Logs:", "Cluster:", "Web:", "General:", "Examples:"]);
  expect(connect.filter((line) => /^\S.*:$/.test(line))).toEqual(["Arguments:", "The room:", "Output:", "Security:", "General:", "Examples:"]);
  // An option is listed under its group: --rate with the limits, --allow with security, -p with the network.
  const under = (lines: string[], option: RegExp) => lines.slice(0, lines.findIndex((line) => option.test(line))).filter((line) => /^\S.*:$/.test(line)).at(-1);
  expect(under(serve, /^ {2}-p, --port PORT /)).toBe("Network:");
  expect(under(serve, /^ {6}--rate N /)).toBe("Limits:");
  expect(under(serve, /^ {6}--web PORT /)).toBe("Web:");
  expect(under(serve, /^ {6}--allow CIDR /)).toBe("Security:");
  expect(under(serve, /^ {6}--log-level LEVEL /)).toBe("Logs:");
  expect(under(connect, /^ {2}-n, --name NAME /)).toBe("The room:");
});

for (const flag of ["-v", "-V", "--version"]) {
  test(`chat ${flag} prints the version`, async () => {
    const chat = run([flag], { stdin: "ignore" });
    expect(await chat.exited).toBe(0);
    expect(chat.stdout.all).toEqual([pkg.version]);
  });
}

for (const [args, message] of [
  [["--versoin"], "chat: unknown option --versoin; did you mean --version?"],
  [["serve", "--prot", "0"], "chat: unknown option --prot; did you mean --port?"],
  [["serve", "--max-client", "5"], "chat: unknown option --max-client; did you mean --max-clients?"],
  [["connect", "--jsn"], "chat: unknown option --jsn; did you mean --json?"],
  [["sever"], 'chat: unknown command "sever"; did you mean serve?'],
  [["help", "conect"], 'chat: unknown command "conect"; did you mean connect?'],
  [["serve", "--zzzzzz"], "chat: unknown option --zzzzzz"],
  [["serve", "-x"], "chat: unknown option -x"],
] as const) {
  test(`chat ${args.join(" ")}: "${message}" alone, exit 2`, async () => {
    const chat = run([...args], { stdin: "ignore" });
    expect(await chat.exited).toBe(2);
    expect(chat.stderr.all).toEqual([message]);
    expect(chat.stdout.all).toEqual([]);
  });
}

test("short flags: serve -H HOST -p PORT, connect -n NAME, and HOST PORT as nc takes them", async () => {
  const server = run(["serve", "-H", "127.0.0.1", "-p", "0"], { stdin: "ignore" });
  try {
    const [, port] = await server.stderr.until(/listening on 127\.0\.0\.1:(\d+)$/);
    const watcher = await join(Number(port));
    const client = run(["connect", "127.0.0.1", port!, "-n", "shorty"]);
    client.proc.stdin!.write("short flags work\n");
    client.proc.stdin!.end();
    await watcher.until(/^shorty: short flags work$/);
    expect(await client.exited).toBe(0);
  } finally {
    await server.kill();
  }
});

test("connect HOST:PORT PORT gives the port twice: exit 2", async () => {
  const chat = run(["connect", "localhost:8000", "9000"], { stdin: "ignore" });
  expect(await chat.exited).toBe(2);
  expect(chat.stderr.all).toEqual(['chat: the port is given twice: "localhost:8000" and "9000"']);
});

test("serve --help lists every option with its variable", async () => {
  const chat = run(["serve", "--help"], { stdin: "ignore" });
  await chat.exited;
  const text = chat.stdout.all.join("\n");
  for (const flag of ["host", "port", "lang", "anonymous", "history", "motd", "max-line", "max-queue", "rate", "burst", "max-clients", "max-per-ip", "idle", "log-level", "log-format", "tls-cert", "tls-key", "password-file", "op-password-file", "allow", "deny", "state", "metrics", "login-timeout"]) {
    expect(text).toContain(`--${flag}`);
    expect(text).toContain(`CHAT_${flag.toUpperCase().replace(/-/g, "_")}`);
  }
});

test("connect --help lists its options (TLS, password, output) with their variables", async () => {
  const chat = run(["connect", "--help"], { stdin: "ignore" });
  await chat.exited;
  const text = chat.stdout.all.join("\n");
  for (const flag of ["tls", "ca", "insecure", "password-file", "timestamps", "raw", "json", "name"]) {
    expect(text).toContain(`--${flag}`);
    expect(text).toContain(`CHAT_${flag.toUpperCase().replace(/-/g, "_")}`);
  }
});

test("no command: usage on stderr, exit 2", async () => {
  const chat = run([], { stdin: "ignore" });
  expect(await chat.exited).toBe(2);
  expect(chat.stderr.all.join("\n")).toContain("a command is needed");
});

test("an unknown command: exit 2", async () => {
  const chat = run(["sever"], { stdin: "ignore" });
  expect(await chat.exited).toBe(2);
  expect(chat.stderr.all.join("\n")).toContain('unknown command "sever"');
  expect(chat.stderr.all).toHaveLength(1); // not the whole help
});

for (const [args, message] of [
  [["serve", "--port", "http"], 'chat: bad --port: port must be a number from 0 to 65535, not "http"'],
  [["serve", "--max-clients", "many"], 'chat: bad --max-clients: expected a whole number, 0 or more, not "many"'],
  [["serve", "--history", "-3"], 'chat: bad --history: expected a whole number, 0 or more, not "-3"'],
  [["serve", "--rate", "-1"], 'chat: bad --rate: expected a number, 0 or more, not "-1"'],
  [["serve", "--log-level", "loud"], 'chat: bad --log-level: expected silent, error, warn, info or debug, not "loud"'],
  [["serve", "--idle", "soon"], 'chat: bad --idle: expected a duration such as 30s, 5m or 1h, not "soon"'],
  [["serve", "--lang", "fr"], 'chat: bad --lang: expected en or zh, not "fr"'],
  [["serve", "--max-queue", "lots"], 'chat: bad --max-queue: expected a size such as 4096, 64k or 1MiB, not "lots"'],
  [["serve", "--port"], "chat: option --port needs a value"],
] as const) {
  test(`chat ${args.join(" ")}: "${message}", exit 2`, async () => {
    const chat = run([...args], { stdin: "ignore" });
    expect(await chat.exited).toBe(2);
    expect(chat.stderr.all[0]).toBe(message);
    expect(chat.stderr.all.join("\n")).not.toContain("    at ");
  });
}

for (const address of ["a:b:c", "localhost:80:90"]) {
  test(`chat connect ${address}: a usage error (exit 2) in one line that says to bracket IPv6, not "host not found"`, async () => {
    const chat = run(["connect", address], { stdin: "ignore" });
    expect(await chat.exited).toBe(2);
    expect(chat.stderr.all).toEqual([`chat: bad address "${address}": put an IPv6 address in brackets, as in [::1]:8000`]);
  });
}

test("a bad CHAT_ variable is reported like a bad flag", async () => {
  const chat = run(["serve"], { stdin: "ignore", env: { CHAT_PORT: "eighty" } });
  expect(await chat.exited).toBe(2);
  expect(chat.stderr.all[0]).toBe('chat: bad --port: port must be a number from 0 to 65535, not "eighty"');
});

test("port in use: one line, exit 1", async () => {
  await using first = await serve();
  const second = run(["serve", "--host", "127.0.0.1", "--port", String(first.port)], { stdin: "ignore" });
  expect(await second.exited).toBe(1);
  expect(second.stderr.all).toEqual([`chat: port ${first.port} is already in use`]);
});

test("serve writes nothing to stdout, and logs the real port on stderr", async () => {
  await using server = await serve();
  expect(server.port).toBeGreaterThan(0);
  await server.kill();
  expect(server.stdout.all).toEqual([]);
});

// Every option is checked before any port opens: a refused start never showed a "listening on" line first.
for (const [value, message] of [
  ["localhost:abc", 'chat: bad --metrics "localhost:abc": port must be a number from 0 to 65535, not "abc"'],
  ["localhost", 'chat: bad --metrics "localhost": use HOST:PORT or :PORT'],
  ["99999", 'chat: bad --metrics "99999": port must be a number from 0 to 65535, not "99999"'],
] as const) {
  test(`serve --metrics ${value}: refused before listening, in one line naming --metrics, exit 2`, async () => {
    const chat = run(["serve", "--host", "127.0.0.1", "--port", "0", "--metrics", value], { stdin: "ignore" });
    expect(await chat.exited).toBe(2);
    expect(chat.stderr.all).toEqual([message]);
  });
}

test("serve --metrics PORT is :PORT, on 127.0.0.1", async () => {
  await using server = await serve(["--metrics", "0"]);
  const [, base] = await server.stderr.until(/^\S+ metrics on (http:\/\/127\.0\.0\.1:\d+)\/metrics$/);
  const health = await fetch(`${base}/healthz`);
  expect([health.status, await health.text()]).toEqual([200, "ok\n"]);
});

test("serve with its --metrics port in use: one line, exit 1, and the chat port never opened", async () => {
  await using first = await serve();
  const chat = run(["serve", "--host", "127.0.0.1", "--port", "0", "--metrics", `127.0.0.1:${first.port}`], { stdin: "ignore" });
  expect(await chat.exited).toBe(1);
  expect(chat.stderr.all).toEqual([`chat: --metrics: port ${first.port} is already in use`]);
});

// A file or host named by a flag that will not do: one line with the flag, the path and the reason, never Bun's words or a temporary file.
test("files named by flags: the flag, the path and the reason, in one line", async () => {
  await Bun.write(joinPath(dir, "empty"), "");
  for (const [args, code, message] of [
    [["--motd", `${dir}/absent.txt`], 2, `chat: cannot read --motd ${dir}/absent.txt: no such file`],
    [["--motd", `${dir}/absent/motd.txt`], 2, `chat: cannot read --motd ${dir}/absent/motd.txt: no such directory`],
    [["--motd", dir], 2, `chat: cannot read --motd ${dir}: is a directory`],
    [["--password-file", `${dir}/absent`], 2, `chat: cannot read --password-file ${dir}/absent: no such file`],
    [["--password-file", `${dir}/empty`], 2, `chat: --password-file ${dir}/empty is empty`],
    [["--tls-cert", `${dir}/absent.pem`, "--tls-key", `${dir}/absent.pem`], 2, `chat: cannot read --tls-cert ${dir}/absent.pem: no such file`],
    [["--state", `${dir}/absent/state.json`], 1, `chat: cannot write --state ${dir}/absent/state.json: no such directory`],
  ] as const) {
    const chat = run(["serve", "--host", "127.0.0.1", "--port", "0", ...args], { stdin: "ignore" });
    expect([await chat.exited, chat.stderr.all]).toEqual([code, [message]]);
  }
});

test("a file this user may not read or write: permission denied, naming the flag and the path", async () => {
  // Root may read and write anything: as root, the server runs as nobody (setpriv) to meet the same refusals.
  const asUser = process.getuid?.() === 0 ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : [];
  const locked = joinPath(dir, "locked");
  await Bun.write(locked, "not for you\n");
  chmodSync(locked, 0o000);
  const readOnly = joinPath(dir, "read-only");
  mkdirSync(readOnly, { mode: 0o555 });
  chmodSync(dir, 0o755);
  for (const [args, code, message] of [
    [["--motd", locked], 2, `chat: cannot read --motd ${locked}: permission denied`],
    [["--state", `${readOnly}/state.json`], 1, `chat: cannot write --state ${readOnly}/state.json: permission denied`],
  ] as const) {
    const proc = Bun.spawn([...asUser, CHAT, "serve", "--host", "127.0.0.1", "--port", "0", ...args], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    const [stderr, exit] = await Promise.all([proc.stderr.text(), proc.exited]);
    expect([exit, stderr]).toEqual([code, `${message}\n`]);
  }
});

test("the reasons for a file that cannot be read or written", () => {
  const error = (code: string) => Object.assign(new Error(`${code}: raw text, open '/x.123.tmp'`), { code });
  expect(describeFileError(error("ENOENT"), `${dir}/absent`)).toBe("no such file");
  expect(describeFileError(error("ENOENT"), `${dir}/absent/file`)).toBe("no such directory");
  expect(describeFileError(error("ENOTDIR"), "/etc/hostname/file")).toBe("no such directory");
  expect(describeFileError(error("EACCES"), "/root/file")).toBe("permission denied");
  expect(describeFileError(error("EPERM"), "/root/file")).toBe("permission denied");
  expect(describeFileError(error("EISDIR"), "/tmp")).toBe("is a directory");
});

test("serve --host with a name that does not resolve: one line naming --host, exit 1", async () => {
  const chat = run(["serve", "--host", "nosuch.invalid", "--port", "0"], { stdin: "ignore" });
  expect(await chat.exited).toBe(1);
  expect(chat.stderr.all).toEqual(["chat: --host nosuch.invalid: host not found"]);
});

test("--web-host and --metrics with a name that does not resolve: one line naming the flag, exit 1, no port opened", async () => {
  const cases: [string[], string][] = [
    [["--web", "0", "--web-host", "nosuch.invalid"], "chat: --web-host nosuch.invalid: host not found"],
    [["--metrics", "nosuch.invalid:9100"], "chat: --metrics nosuch.invalid: host not found"],
  ];
  for (const [args, message] of cases) {
    const chat = run(["serve", "--host", "127.0.0.1", "--port", "0", ...args], { stdin: "ignore" });
    expect(await chat.exited).toBe(1);
    expect(chat.stderr.all).toEqual([message]);
  }
});

test("a motd's blank lines at its end are not shown as bare '* ' lines", async () => {
  await Bun.write(joinPath(dir, "motd.txt"), "first motd line\n\nlast motd line  \n\n \n");
  await using server = await serve(["--motd", joinPath(dir, "motd.txt")]);
  const alice = await join(server.port);
  const bob = await join(server.port);
  await alice.until(new RegExp(`^${bob.name.replace(/[.]/g, "\\.")} has arrived$`));
  const seen = alice.lines.all;
  expect(seen.slice(1, seen.length - 1)).toEqual(["* first motd line", "* ", "* last motd line"]);
});
