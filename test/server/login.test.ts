// Secret and Login without sockets: what is compared, and when each reply comes.
import { expect, test } from "bun:test";
import { Secret } from "../../core/chat/secret.ts";
import { Login, MAX_TRIES } from "../../core/server/login.ts";

test("a Secret matches its password and nothing else", () => {
  const secret = new Secret("correct horse");
  expect(secret.matches("correct horse")).toBe(true);
  for (const wrong of ["", "correct", "correct horse ", "Correct horse", "correct horse battery", "x".repeat(10_000)]) expect(secret.matches(wrong)).toBe(false);
  expect(new Secret("日本語").matches("日本語")).toBe(true);
});

function recorder(secret = new Secret("pw"), pauseMs = 20) {
  const events: string[] = [];
  let settle!: () => void;
  const settled = new Promise<void>((resolve) => (settle = resolve));
  const login = new Login(secret, pauseMs, {
    ask: () => events.push("ask"),
    refuse: (last) => {
      events.push(last ? "refuse-last" : "refuse");
      if (last) settle();
    },
    admit: (after) => {
      events.push(`admit ${JSON.stringify(after)}`);
      settle();
    },
    left: () => {
      events.push("left");
      settle();
    },
  });
  login.start();
  return { login, events, settled };
}

test("the right answer admits at once", () => {
  const { login, events } = recorder();
  login.answer("pw");
  expect(events).toEqual(["ask", "admit []"]);
});

test(`${MAX_TRIES} wrong answers: refused after a pause each, the last one for good`, async () => {
  const { login, events, settled } = recorder();
  const started = Date.now();
  login.answer("a");
  expect(events).toEqual(["ask"]); // not yet: the pause comes first
  login.answer("b");
  login.answer("c");
  login.answer("pw"); // a fourth answer is never looked at
  await settled;
  expect(Date.now() - started).toBeGreaterThanOrEqual(3 * 20 - 3);
  expect(events).toEqual(["ask", "refuse", "ask", "refuse", "ask", "refuse-last"]);
});

test("lines behind the right answer, sent during a pause, are handed over as chat", async () => {
  const { login, events, settled } = recorder();
  login.answer("wrong");
  login.answer("pw");
  login.answer("/mode json");
  login.answer("hello");
  await settled;
  expect(events).toEqual(["ask", "refuse", "ask", 'admit ["/mode json","hello"]']);
});

test("a peer that has finished sending: what it sent is still judged, after the pauses, then it has left", async () => {
  const admitted = recorder();
  admitted.login.answer("wrong");
  admitted.login.answer("pw");
  admitted.login.answer("bye");
  admitted.login.end();
  await admitted.settled;
  expect(admitted.events).toEqual(["ask", "refuse", "ask", 'admit ["bye"]']);

  const refused = recorder();
  refused.login.answer("wrong");
  refused.login.end();
  expect(refused.events).toEqual(["ask"]); // the pause still comes first
  await refused.settled;
  expect(refused.events).toEqual(["ask", "refuse", "ask", "left"]);

  const silent = recorder();
  silent.login.end();
  expect(silent.events).toEqual(["ask", "left"]);
});

test("cancel stops every reply", async () => {
  const { login, events } = recorder();
  login.answer("wrong");
  login.cancel();
  await Bun.sleep(60);
  expect(events).toEqual(["ask"]);
});
