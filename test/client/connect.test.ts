// `chat connect` as scripts use it: pipes, exit codes, error lines; and nc/socat as clients of `chat serve`.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { CHAT, closePeers, dial, escape, join, ncatChat, run, serve, unique, type Server } from "../helpers.ts";

let server: Server;
beforeAll(async () => void (server = await serve(["--rate", "0"])));
afterAll(() => server.kill());
afterEach(closePeers);

/** Runs a shell pipeline; `$CHAT` is the binary. */
function sh(script: string, env: Record<string, string> = {}) {
  const proc = Bun.spawn(["bash", "-c", script], {
    env: { ...process.env, NO_COLOR: "1", CHAT, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  return Promise.all([proc.stdout.text(), proc.stderr.text(), proc.exited]).then(([stdout, stderr, code]) => ({ stdout, stderr, code }));
}

/** A port where nothing listens. */
function closedPort(): number {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

test("printf 'a\\nb\\n' | chat connect: both lines are delivered, the output shows them, exit 0", async () => {
  const watcher = await join(server.port);
  const name = unique("pipe").slice(0, 30);
  const { stdout, stderr, code } = await sh(`printf 'a\\nb\\n' | "$CHAT" connect 127.0.0.1:${server.port} --name ${name}`);
  expect(stderr).toBe("");
  expect(code).toBe(0);
  await watcher.until(new RegExp(`^${name}: a$`));
  await watcher.until(new RegExp(`^${name}: b$`));
  expect(stdout).toContain(`${name}: a\n${name}: b\n`);
  expect(stdout).toMatch(/^You are /);
});

test("without --name the login name is claimed (CHAT_NAME is its twin)", async () => {
  const watcher = await join(server.port);
  const name = unique("env").slice(0, 30);
  const { code } = await sh(`printf 'hi\\n' | "$CHAT" connect 127.0.0.1:${server.port}`, { CHAT_NAME: name });
  expect(code).toBe(0);
  await watcher.until(new RegExp(`^${name}: hi$`));
  const login = unique("login").slice(0, 30);
  const byUser = await sh(`printf 'hi\\n' | env -u CHAT_NAME "$CHAT" connect 127.0.0.1:${server.port}`, { USER: login });
  expect(byUser.code).toBe(0);
  await watcher.until(new RegExp(`^${login}: hi$`));
});

test("a taken name: the client takes a free variant and says so on stderr", async () => {
  const name = unique("dup").slice(0, 25);
  const holder = await join(server.port);
  holder.say(`/nick ${name}`);
  await holder.until(new RegExp(`is now known as ${name}$`));
  const { stdout, stderr, code } = await sh(`printf 'hello\\n' | "$CHAT" connect 127.0.0.1:${server.port} --name ${name}`);
  expect(code).toBe(0);
  expect(stderr).toBe(`chat: the name ${name} is taken; you are ${name}-2\n`);
  expect(stdout).toContain(`${name}-2: hello`);
  expect(stdout).not.toContain("is taken");
});

test("--raw prints the server's lines untouched", async () => {
  const text = unique("raw");
  const { stdout, code } = await sh(`printf '${text}\\n' | "$CHAT" connect 127.0.0.1:${server.port} --raw --name rawuser`);
  expect(code).toBe(0);
  expect(stdout).toMatch(/^You are rawuser\n/); // the name sent at once is the one it arrives under
  expect(stdout).toContain(`rawuser: ${text}\n`);
});

test("--raw passes on every byte as it came, and sends only the name and the input", async () => {
  // Plain mode would drop the lines before the first JSON one and render that one as "x: y".
  const said = 'You are stub\r\n\x1b[31mred\x1b[0m\n{"type":"message","from":"x","text":"y","ts":0}\nno newline';
  let heard = "";
  using stub = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open: (socket) => void socket.write(said),
      data: (_socket, bytes) => void (heard += bytes.toString()),
      end: (socket) => void socket.end(),
    },
  });
  const text = unique("raw");
  const { stdout, stderr, code } = await sh(`printf '${text}\\n' | "$CHAT" connect 127.0.0.1:${stub.port} --raw --name rawuser`);
  expect(stderr).toBe("");
  expect(code).toBe(0);
  expect(stdout).toBe(said);
  expect(heard).toBe(`/nick rawuser\n${text}\n`);
});

test("--json prints one JSON event per line", async () => {
  const text = unique("json");
  const { stdout, code } = await sh(`printf '${text}\\n' | "$CHAT" connect 127.0.0.1:${server.port} --json --name jsonuser`);
  expect(code).toBe(0);
  const events = stdout.trim().split("\n").map((l) => JSON.parse(l));
  expect(events[0]).toMatchObject({ type: "welcome" });
  expect(events).toContainEqual(expect.objectContaining({ type: "message", from: "jsonuser", text }));
  expect(events.every((e) => typeof e.ts === "number")).toBe(true);
});

test("a piped /mode line is not sent: the client keeps JSON mode, says so on stderr, and goes on showing the room", async () => {
  const name = unique("mode").slice(0, 30);
  const { stdout, stderr, code } = await sh(`printf 'before\\n/mode plain\\nafter\\n' | "$CHAT" connect 127.0.0.1:${server.port} --name ${name}`);
  expect(stderr).toBe("chat: chat connect keeps its own mode: use chat connect --json or --raw for other views\n");
  expect(code).toBe(0);
  expect(stdout).toContain(`${name}: before\n${name}: after\n`);
});

test("a piped line over the server's limit is refused there, and the lines after it go on", async () => {
  const name = unique("long").slice(0, 30);
  await using client = run(["connect", `127.0.0.1:${server.port}`, "--name", name]);
  await client.stdout.until(new RegExp(`^You are ${escape(name)}$`));
  client.proc.stdin!.write(`/quit ${"x".repeat(6000)}`); // no end yet: too long to be the command it starts as
  client.proc.stdin!.flush();
  client.proc.stdin!.write(`${"x".repeat(6000)}\nafter\n`);
  client.proc.stdin!.end();
  await client.stdout.until(/^\* line too long \(max 4096 bytes\)$/);
  await client.stdout.until(new RegExp(`^${escape(name)}: after$`));
  expect(await client.exited).toBe(0);
});

test("an input line with no final newline is still sent", async () => {
  const watcher = await join(server.port);
  const text = unique("nonl");
  const { code } = await sh(`printf '${text}' | "$CHAT" connect 127.0.0.1:${server.port} --name nonl`);
  expect(code).toBe(0);
  await watcher.until(new RegExp(`^nonl: ${text}$`));
});

test("/quit in the input leaves and exits 0", async () => {
  const watcher = await join(server.port);
  await using client = run(["connect", `127.0.0.1:${server.port}`, "--name", "quitter"]);
  await watcher.until(/^quitter has arrived$/); // the name sent at once is the one it arrives under
  client.proc.stdin!.write("/quit\n");
  client.proc.stdin!.flush();
  await watcher.until(/^quitter has left$/);
  expect(await client.exited).toBe(0);
});

// The server lowercases the command and ends it at any white space; the client must agree, or it takes the close
// that follows for a lost connection. Input stays open: only the /quit can end the run.
for (const [label, quit] of [
  ["/QUIT", "/QUIT"],
  ["/quit<TAB>", "/quit\t"],
]) {
  test(`a piped ${label} line quits as the server reads it: exit 0 while the input is still open`, async () => {
    const watcher = await join(server.port);
    const name = unique("q").slice(0, 30);
    const text = unique("before-quit");
    await using client = run(["connect", `127.0.0.1:${server.port}`, "--name", name]);
    await watcher.until(new RegExp(`^${escape(name)} has arrived$`));
    client.proc.stdin!.write(`${text}\n${quit}\n`);
    client.proc.stdin!.flush();
    await watcher.until(new RegExp(`^${escape(name)}: ${text}$`));
    await watcher.until(new RegExp(`^${escape(name)} has left$`));
    expect(await client.exited).toBe(0);
    expect(client.stderr.all).toEqual([]);
  });
}

test("connection refused: one line on stderr, exit 1", async () => {
  const port = closedPort();
  const { stdout, stderr, code } = await sh(`"$CHAT" connect 127.0.0.1:${port} </dev/null`);
  expect(code).toBe(1);
  expect(stdout).toBe("");
  expect(stderr).toBe(`chat: connection refused by 127.0.0.1:${port}\n`);
});

test("unknown host: one line on stderr, exit 1", async () => {
  const { stderr, code } = await sh(`"$CHAT" connect no-such-host.invalid:8000 </dev/null`);
  expect(code).toBe(1);
  expect(stderr).toBe("chat: host not found: no-such-host.invalid\n");
});

test("a lost connection: what arrived is printed, one line on stderr, exit 1", async () => {
  await using doomed = await serve();
  await using client = run(["connect", `127.0.0.1:${doomed.port}`, "--name", "lost"]);
  await client.stdout.until(/^You are lost$/);
  doomed.proc.kill("SIGKILL");
  expect(await client.exited).toBe(1);
  expect(client.stderr.all).toEqual(["chat: connection closed by the server"]);
});

test("a server that shuts down: its goodbye is printed, exit 1", async () => {
  await using closing = await serve();
  await using client = run(["connect", `127.0.0.1:${closing.port}`, "--name", "bye"]);
  await client.stdout.until(/^You are bye$/);
  closing.proc.kill("SIGTERM");
  await client.stdout.until(/^\* server shutting down$/);
  expect(await client.exited).toBe(1);
});

for (const mode of [[], ["--json"]]) {
  test(`a full server: chat connect ${mode.join(" ")} says why on stderr, prints nothing, exit 1`.replace("  ", " "), async () => {
    await using full = await serve(["--max-clients", "1"]);
    await join(full.port);
    const { stdout, stderr, code } = await sh(`echo hi | "$CHAT" connect 127.0.0.1:${full.port} ${mode.join(" ")}`);
    expect(code).toBe(1);
    expect(stdout).toBe("");
    expect(stderr).toBe("chat: server is full\n");
  });
}

for (const [args, message] of [
  [["connect", "host:99999"], /^chat: bad address "host:99999": port must be a number/],
  [["connect", "[::1"], /^chat: bad address/],
  [["connect", "a b"], /^chat: bad address/],
  [["connect", "--nope"], /^chat: unknown option --nope$/],
  [["connect", "--raw", "--json"], /^chat: --raw and --json cannot be used together$/],
  [["connect", "x", "y"], /^chat: bad port "y": port must be a number from 0 to 65535, not "y"$/],
  [["connect", "x", "8000", "z"], /^chat: unexpected argument "z"$/],
] as const) {
  test(`bad usage: chat ${args.join(" ")} → exit 2`, async () => {
    const result = run([...args], { stdin: "ignore" });
    expect(await result.exited).toBe(2);
    expect(result.stderr.all[0]).toMatch(message);
    expect(result.stderr.all.join("\n")).not.toContain("    at ");
  });
}

test("nc is a client like any other", async () => {
  const watcher = await join(server.port);
  const text = unique("nc");
  const { stdout, code } = await sh(`printf '${text}\\n' | nc -N 127.0.0.1 ${server.port}`);
  expect(code).toBe(0);
  const [, name] = /^You are (.+)$/m.exec(stdout)!;
  await watcher.until(new RegExp(`^${escape(name!)}: ${text}$`));
  expect(stdout).toContain(`${name}: ${text}\n`);
});

test("socat is a client like any other, and \\r\\n from it is fine", async () => {
  const watcher = await join(server.port);
  const text = unique("socat");
  const { stdout, code } = await sh(`printf '${text}\\r\\n' | socat - TCP:127.0.0.1:${server.port}`);
  expect(code).toBe(0);
  const [, name] = /^You are (.+)$/m.exec(stdout)!;
  await watcher.until(new RegExp(`^${escape(name!)}: ${text}$`));
});

test("a pipe of 300 000 lines into a room with the default 1 MiB queue cap: chat connect keeps pace with the echo, exits 0, every line arrives in order", async () => {
  const watcher = await join(server.port);
  const name = unique("bulk").slice(0, 30);
  const count = 300_000;
  const dir = (await Bun.$`mktemp -d`.text()).trim();
  const input = `${dir}/lines.txt`;
  await Bun.write(input, Array.from({ length: count }, (_, i) => `bulk ${i} of a long pipe\n`).join(""));
  try {
    const { stderr, code } = await sh(`"$CHAT" connect 127.0.0.1:${server.port} --name ${name} < ${input} > /dev/null`);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    await watcher.until(new RegExp(`^${escape(name)}: bulk ${count - 1} of a long pipe$`), 30_000);
    const got = watcher.lines.all.filter((line) => line.startsWith(`${name}: bulk `)).map((line) => Number(line.split(" ")[2]));
    expect(got.length).toBe(count);
    expect(got.every((n, i) => n === i)).toBe(true);
  } finally {
    await Bun.$`rm -rf ${dir}`;
  }
}, 60_000);

test("a pipe of 60 lines into a room with the default flood limit: chat connect keeps to the limit, every line arrives, exit 0", async () => {
  await using limited = await serve(); // 5 lines a second, bursts of 50
  const watcher = await join(limited.port);
  const name = unique("paced").slice(0, 30);
  const { stdout, stderr, code } = await sh(`python3 -c "for i in range(1,61): print(f'pipe line {i:02d}')" | "$CHAT" connect 127.0.0.1:${limited.port} --name ${name}`);
  expect(stderr).toBe("");
  expect(code).toBe(0);
  expect(stdout).not.toContain("* slow down");
  await watcher.until(new RegExp(`^${escape(name)}: pipe line 60$`), 20_000);
  const got = watcher.lines.all.filter((line) => line.startsWith(`${name}: pipe line `));
  expect(got).toEqual(Array.from({ length: 60 }, (_, i) => `${name}: pipe line ${String(i + 1).padStart(2, "0")}`));
}, 30_000);

/** A server that speaks chat's JSON mode with no flood limit in its welcome, yet answers every chat line with * slow down. */
function refusingStub() {
  return Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open: (socket) => void socket.write("You are stub\n"),
      data: (socket, bytes) => {
        for (const line of bytes.toString().split("\n").filter(Boolean)) {
          if (line === "/mode json") socket.write(`{"type":"welcome","name":"stub","present":[],"motd":[],"lang":"en","rate":0,"burst":0,"maxLine":4096,"ts":0}\n`);
          else if (!line.startsWith("/")) socket.write(`{"type":"notice","text":"slow down","code":"slow_down","ts":0}\n`);
        }
      },
      end: (socket) => void socket.end(),
    },
  });
}

test("a server that welcomes us under the name asked for settles the claim: a later reply about that name is shown", async () => {
  let claimed = false; // the opening /nick, applied before the welcome
  using stub = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data: (socket, bytes) => {
        for (const line of bytes.toString().split("\n").filter(Boolean)) {
          if (line === "/mode json") socket.write(`{"type":"welcome","name":"zed","present":[],"motd":[],"lang":"en","ts":0}\n`);
          else if (line === "/nick zed" && !claimed) claimed = true;
          else if (line === "/nick zed") socket.write(`{"type":"notice","text":"you are already zed","code":"name_unchanged","name":"zed","ts":0}\n`);
        }
      },
      end: (socket) => void socket.end(),
    },
  });
  const { stdout, code } = await sh(`printf '/nick zed\\n' | "$CHAT" connect 127.0.0.1:${stub.port} --name zed`);
  expect(code).toBe(0);
  expect(stdout).toBe("You are zed\n* you are already zed\n");
});

test("a line the server refuses anyway as too fast: chat connect says so on stderr and exits 1", async () => {
  using stub = refusingStub();
  const { stdout, stderr, code } = await sh(`printf 'one\\ntwo\\n' | "$CHAT" connect 127.0.0.1:${stub.port}`);
  expect(stdout).toContain("* slow down\n");
  expect(stderr).toBe("chat: the server dropped lines sent too fast (* slow down)\n");
  expect(code).toBe(1);
});

test("an invalid --name is refused before connecting: one line, exit 2, the server never hears of it", async () => {
  let connections = 0;
  using stub = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { open: () => void connections++, data() {} } });
  for (const [name, why] of [
    ["🙂", "a name may hold only letters, digits, _, - and ."],
    ["n".repeat(200), "a name has at most 32 characters"],
  ]) {
    const viaFlag = await sh(`"$CHAT" connect 127.0.0.1:${stub.port} --name "${name}" </dev/null`);
    expect(viaFlag.stderr.split("\n")[0]).toBe(`chat: bad --name "${name}": ${why}`); // a hint at --help may follow, as for every usage error
    expect(viaFlag.code).toBe(2);
    const viaEnv = await sh(`"$CHAT" connect 127.0.0.1:${stub.port} </dev/null`, { CHAT_NAME: name! });
    expect(viaEnv.code).toBe(2);
  }
  expect(connections).toBe(0);
});

describe("a server that is not chat", () => {
  /**
   * The Go book's server, in short: a greeting on arrival, then every line said, the sender's own included, to everyone
   * as `ADDRESS: TEXT`. `said` is every byte it sent to the first client, to compare with what chat connect printed.
   */
  function bookServer() {
    const clients = new Set<import("bun").Socket<{ who: string }>>();
    let said = "";
    let first: unknown;
    const listener = Bun.listen<{ who: string }>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open: (socket) => {
          socket.data = { who: `${socket.remoteAddress}:${Math.floor(Math.random() * 60000)}` };
          first ??= socket;
          clients.add(socket);
          const greeting = `欢迎 ${socket.data.who}\n`;
          if (first === socket) said += greeting;
          socket.write(greeting);
        },
        data: (socket, bytes) => {
          for (const line of bytes.toString().split("\n").filter(Boolean)) {
            const echo = `${socket.data.who}: ${line}\n`;
            for (const c of clients) {
              if (c === first) said += echo;
              c.write(echo);
            }
          }
        },
        end: (socket) => void socket.end(),
        close: (socket) => void clients.delete(socket),
      },
    });
    return { listener, port: listener.port, said: () => said };
  }

  test("a pipe prints every line it sends, untouched, from the first on, and exits 0", async () => {
    const book = bookServer();
    try {
      const { stdout, stderr, code } = await sh(`printf 'hi\\n' | "$CHAT" connect 127.0.0.1:${book.port} --name zed`);
      expect(stderr).toBe("");
      expect(code).toBe(0);
      expect(stdout).toMatch(/^欢迎 127\.0\.0\.1:\d+\n/);
      expect(stdout).toMatch(/: hi\n$/);
      expect(stdout).toBe(book.said());
    } finally {
      book.listener.stop(true);
    }
  });

  test("a prompt with no newline (`login: `) is shown too, even when the server closes after it", async () => {
    using stub = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open: (socket) => void socket.write("login: "),
        data: (socket, bytes) => {
          if (bytes.toString().includes("hi\n")) socket.end(); // a wrong login: goodbye, with no newline ever
        },
      },
    });
    const { stdout } = await sh(`printf 'hi\\n' | "$CHAT" connect 127.0.0.1:${stub.port} --name zed`);
    expect(stdout).toBe("login: ");
  });

  test("lines that come before and after the fallback are all shown, in order", async () => {
    const book = bookServer();
    try {
      await using client = run(["connect", `127.0.0.1:${book.port}`, "--name", "zed"]);
      await client.stdout.until(/^欢迎 /);
      const peer = await dial(book.port);
      const later = unique("later");
      await client.stdout.until(/: \/nick zed$/); // the fallback has happened by the time the name went out
      peer.say(later);
      await client.stdout.until(new RegExp(`: ${later}$`));
      client.proc.stdin!.write("bye\n");
      client.proc.stdin!.end();
      expect(await client.exited).toBe(0);
      expect(`${client.stdout.all.join("\n")}\n`).toBe(book.said());
    } finally {
      book.listener.stop(true);
    }
  });

  test("ncat --chat: its announcements and the others' lines are printed, and ours reach them", async () => {
    await using ncat = await ncatChat();
    const port = ncat.port;
    const peer = await dial(port);
    await peer.until(/^<announce> 127\.0\.0\.1 is connected as <user\d+>\.$/);
    await using client = run(["connect", `127.0.0.1:${port}`, "--name", "zed"]);
    await client.stdout.until(/^<announce> 127\.0\.0\.1 is connected as <user\d+>\.$/);
    const [, them] = await peer.until(/^<announce> 127\.0\.0\.1 is connected as <(user\d+)>\.$/);
    const hello = unique("hello");
    peer.say(hello);
    await client.stdout.until(new RegExp(`^<user\\d+> ${hello}$`));
    const text = unique("from-chat");
    client.proc.stdin!.write(`${text}\n`);
    client.proc.stdin!.end();
    await peer.until(new RegExp(`^<${them}> ${text}$`));
    expect(await client.exited).toBe(0);
  });
});

test("the opening lines go at once, in one write, before the server says anything: JSON mode, the name, the room", async () => {
  const chunks: string[] = [];
  let heard!: () => void;
  const first = new Promise<void>((resolve) => (heard = resolve));
  using stub = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data: (_socket, bytes) => {
        chunks.push(bytes.toString());
        heard();
      },
      end: (socket) => void socket.end(),
    },
  });
  await using client = run(["connect", `127.0.0.1:${stub.port}`, "--name", "zed", "--room", "#dev"]);
  await first;
  expect(chunks[0]).toBe("/mode json\n/nick zed\n/join #dev\n");
  client.proc.stdin!.end();
  expect(await client.exited).toBe(0);
});

test("a bad --room is refused before connecting, exit 2", async () => {
  const result = run(["connect", "127.0.0.1:1", "--room", "#a b"], { stdin: "ignore" });
  expect(await result.exited).toBe(2);
  expect(result.stderr.all[0]).toBe('chat: bad --room "#a b": a name may hold only letters, digits, _, - and .');
});

test("chat connect --room in a pipe: the lines go to that room and no other", async () => {
  const room = unique("r").replace(/-/g, "_").slice(0, 32);
  const inRoom = await join(server.port);
  inRoom.say(`/join ${room}`);
  await inRoom.until(new RegExp(`^\\* you are now in #${room}$`));
  const inMain = await join(server.port);
  const name = unique("roomed").slice(0, 30);
  const text = unique("said-in-room");
  const { stdout, stderr, code } = await sh(`printf '${text}\\n' | "$CHAT" connect 127.0.0.1:${server.port} --name ${name} --room '#${room}'`);
  expect(stderr).toBe("");
  expect(code).toBe(0);
  expect(stdout).toContain(`* you are now in #${room}\nPresent: ${inRoom.name}\n`);
  expect(stdout).toContain(`${name}: ${text}\n`);
  await inRoom.until(new RegExp(`^${escape(name)}: ${text}$`));
  // #main hears a later line, so anything said in #${room} before it would have come already.
  const marker = unique("barrier");
  inMain.say(marker);
  await inMain.until(new RegExp(`: ${marker}$`));
  expect(inMain.lines.all.some((line) => line.includes(text))).toBe(false);
});

test("CHAT_ROOM is --room's twin", async () => {
  const room = unique("r").replace(/-/g, "_").slice(0, 32);
  const { stdout, code } = await sh(`printf '/who\\n' | "$CHAT" connect 127.0.0.1:${server.port}`, { CHAT_ROOM: room });
  expect(code).toBe(0);
  expect(stdout).toContain(`* you are now in #${room}\n`);
});
