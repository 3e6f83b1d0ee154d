// The tree's rules (scripts/layout.ts): no import cycle, imports one way between core/'s folders, no Bun in the chat or the wire.
import { expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cycles, importGraph, layoutProblems } from "../scripts/layout.ts";
import { ROOT } from "./helpers.ts";

test("the tree keeps every rule", () => {
  expect(layoutProblems(ROOT)).toEqual([]);
});

test("the graph is read from the real imports, type-only ones too", () => {
  const graph = importGraph(ROOT);
  expect(graph.get("core/chat/hub.ts")).toContain("core/chat/member.ts");
  expect(graph.get("core/server/turn.ts")).toContain("core/server/schedule.ts"); // import type
  expect(graph.get("cmd/serve.ts")).toContain("citty");
});

test("a cycle made only of type imports is found, and so is a wrong-way import and Bun in the chat", () => {
  const dir = mkdtempSync(join(tmpdir(), "layout-"));
  try {
    for (const folder of ["cmd", "core/chat", "core/wire", "core/server"]) mkdirSync(join(dir, folder), { recursive: true });
    writeFileSync(join(dir, "core/server/a.ts"), 'import type { B } from "./b.ts";\nexport type A = B;\n');
    writeFileSync(join(dir, "core/server/b.ts"), 'import type { A } from "./a.ts";\nexport type B = A | 1;\n');
    writeFileSync(join(dir, "core/wire/words.ts"), 'import { Hub } from "../chat/hub.ts";\n');
    writeFileSync(join(dir, "core/chat/hub.ts"), 'import type { Socket } from "bun";\nexport class Hub {}\n');
    writeFileSync(join(dir, "cmd/chat.ts"), 'import "../core/chat/hub.ts";\n');
    expect(cycles(importGraph(dir))).toEqual([["core/server/a.ts", "core/server/b.ts"]]);
    expect(layoutProblems(dir).sort()).toEqual([
      "import cycle: core/server/a.ts ↔ core/server/b.ts",
      "core/chat/hub.ts imports bun: core/chat/ runs without Bun",
      "core/wire/words.ts imports core/chat/hub.ts: core/wire/ may not import core/chat/",
    ].sort());
  } finally {
    rmSync(dir, { recursive: true });
  }
});
