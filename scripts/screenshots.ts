// `bun scripts/screenshots.ts`: the web page's pictures in docs/ (desktop and phone, light and dark), taken from dist/chat in Chromium.
import { join } from "../test/helpers.ts";
import { launchBrowser, say, serveWeb, visit } from "../test/web/browser.ts";

const OUT = `${import.meta.dir}/../docs`;
const browser = await launchBrowser();
const server = await serveWeb(["--rate", "0", "--motd", "/dev/null"]);
try {
  const dev = await join(server.port);
  dev.say("/nick frank");
  dev.say("/join #dev");
  dev.say("/topic the 0.2 release: Friday");
  const carol = await join(server.port);
  carol.say("/nick carol");
  carol.say("/topic plans, links and coffee");
  carol.say("morning! the build is green again: https://example.org/ci/1234");
  carol.say("/me pours coffee");
  const people = [];
  for (const [size, dark, name] of [
    [{ width: 1100, height: 640 }, false, "alice"],
    [{ width: 1100, height: 640 }, true, "dmitri"],
    [{ width: 390, height: 760 }, false, "bob"],
    [{ width: 390, height: 760 }, true, "eve"],
  ] as const) {
    const visitor = await visit(browser, server.url, { ...size, dark, name });
    people.push({ visitor, dark, phone: size.width < 700, name });
  }
  await say(people[0]!.visitor.page, "hi all, <b>this</b> stays text");
  await say(people[2]!.visitor.page, "on my phone, on the train");
  carol.say("nc works too: printf 'hi\\n' | nc host 8000");
  await say(people[1]!.visitor.page, "/me waves");
  const last = "see you at the stand-up";
  await say(people[3]!.visitor.page, last);
  for (const { visitor, dark, phone } of people) {
    await visitor.page.locator("#log li", { hasText: last }).waitFor();
    await visitor.page.locator("#line").fill(phone ? "typing…" : "this line survives a reconnect");
    await visitor.page.screenshot({ path: `${OUT}/web-${phone ? "phone" : "desktop"}-${dark ? "dark" : "light"}.png` });
  }
  console.log(`screenshots in ${OUT}`);
} finally {
  await browser.close();
  await server.kill();
}
