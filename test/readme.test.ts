// The README is what a newcomer needs, in that order; the rest lives in docs/, and every link and reference holds.
import { expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { ROOT, run } from "./helpers.ts";

const readme = await Bun.file(join(ROOT, "README.md")).text();
const docs = readdirSync(join(ROOT, "docs")).filter((name) => name.endsWith(".md")).map((name) => `docs/${name}`);
const texts = new Map<string, string>([["README.md", readme]]);
for (const doc of docs) texts.set(doc, await Bun.file(join(ROOT, doc)).text());

/** The headings of a Markdown text (outside code blocks), as `## Title`. */
function headings(text: string): string[] {
  return text.replace(/```[\s\S]*?```/g, "").split("\n").filter((line) => /^#{1,6} /.test(line));
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading.replace(/^#+ /, "").toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, "").replace(/ /g, "-");
}

test("the README: what it is, try it, install, the commands and options, links; in that order and short", () => {
  const sections = headings(readme).filter((h) => h.startsWith("## "));
  // Sections of their own (rooms, several servers, the web page) may come between these; the newcomer's path keeps its order.
  const path = ["## Try it", "## Install", "## `chat serve`", "## `chat connect`", "## In the room", "## More"];
  expect(sections.filter((h) => path.includes(h))).toEqual(path);
  expect(sections[0]).toBe("## Try it");
  expect(sections.at(-1)).toBe("## More");
  expect(readme.slice(0, readme.indexOf("## Try it"))).toMatch(/^# chat\n\nA chat room over plain TCP/);
  expect(readme.length).toBeLessThan(20_000); // it was 44 KB, with the quick start after 3 KB about checksums
});

test("try it in three commands: serve, connect, nc; then a sample screen", () => {
  const tryIt = readme.slice(readme.indexOf("## Try it"), readme.indexOf("## Install"));
  const [commands, screen] = [...tryIt.matchAll(/```\w*\n([\s\S]*?)```/g)].map((m) => m[1]!);
  expect(commands!.trim().split("\n").map((line) => line.split(/\s+#/)[0]!.trim())).toEqual(["chat serve", "chat connect -n alice", "nc localhost 8000"]);
  expect(screen).toMatch(/^You are /);
});

test("exactly two set-up commands: one installs and starts a server, one runs the whole test suite", () => {
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const setup = blocks.flatMap((block) => block.split("\n")).filter((line) => /^npm /.test(line));
  expect(setup.map((line) => line.split(/\s+#/)[0]!.trim())).toEqual(["npm install && npm run chat -- serve --port 8000", "npm test"]);
});

test("performance, security, releasing and hacking are in docs/, with their sections", () => {
  const sections = (doc: string) => headings(texts.get(doc) ?? "");
  expect(sections("docs/performance.md")).toContain("## Start-up time");
  expect(sections("docs/security.md")).toEqual(expect.arrayContaining(["## What is protected", "## Running it on a public port", "## Operator commands", "## Metrics"]));
  expect(sections("docs/releasing.md")).toEqual(expect.arrayContaining(["## The release archives", "## Publishing a release"]));
  expect(sections("docs/hacking.md")).toEqual(expect.arrayContaining(["## Tests", "## Layout"]));
  expect(sections("docs/protocol.md")).toEqual(expect.arrayContaining(["## JSON mode, for programs", "## Flood control"]));
  for (const doc of ["docs/performance.md", "docs/security.md", "docs/releasing.md", "docs/hacking.md"]) expect(readme).toContain(`](${doc})`);
});

test("every relative link in the README and docs/ reaches a file, and its #anchor a heading there", () => {
  for (const [file, text] of texts) {
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue;
      const [path, anchor] = target!.split("#") as [string, string | undefined];
      const linked = path === "" ? file : normalize(join(dirname(file), path));
      expect({ file, target, exists: texts.has(linked) || Bun.file(join(ROOT, linked)).size > 0 }).toEqual({ file, target, exists: true });
      if (anchor) expect({ file, target, anchors: headings(texts.get(linked) ?? "").map(slug) }).toEqual({ file, target, anchors: expect.arrayContaining([anchor]) });
    }
  }
});

test('a "section" above or below names a heading of the same page', () => {
  for (const [file, text] of texts) {
    const titles = headings(text).map((h) => h.replace(/^#+ /, ""));
    for (const [, title] of text.matchAll(/"([^"]+)" (?:above|below)/g)) expect({ file, title, found: titles.includes(title!) }).toEqual({ file, title, found: true });
  }
});

test("every option of chat serve and chat connect is explained in the README or in docs/security.md", async () => {
  const explained = readme + texts.get("docs/security.md")!;
  for (const command of ["serve", "connect"]) {
    const help = run(["help", command], { stdin: "ignore" });
    expect(await help.exited).toBe(0);
    for (const [, flag] of help.stdout.all.join("\n").matchAll(/^ {2}(?:-\w, |    )(--[\w-]+)/gm)) {
      if (flag === "--help" || flag === "--version") continue;
      expect({ command, flag, explained: explained.includes(`\`${flag}`) }).toEqual({ command, flag, explained: true });
    }
  }
});
