// The tree's rules, checked: no import cycle (type-only imports count), imports point one way between the folders of
// core/, and the chat and what both sides speak know nothing of Bun. `bun scripts/layout.ts` prints each problem.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

/** Which folders of core/ each folder may import from; "." is core/ itself (errors.ts, options.ts). */
const MAY_IMPORT: Record<string, readonly string[]> = {
  wire: ["wire"],
  chat: ["chat", "bus", "wire"],
  bus: ["bus", "wire"],
  server: ["server", "chat", "bus", "wire", "web", "."],
  client: ["client", "wire", "."],
  // The page that runs in a browser: it speaks the wire and nothing else of the project.
  web: ["web", "wire"],
  ".": [".", "wire"],
};
/** Folders whose code must run without Bun: the chat is driven by tests with fake members, the wire is pure. */
const NO_BUN = new Set(["wire", "chat", "web"]);
/** At most this many modules directly in core/. */
const MAX_TOP = 2;

const IMPORT = /(?:^|[\s;])(?:import|export)\s+(?:type\s+)?(?:[^"';]*?\sfrom\s+)?["']([^"']+)["']|\b(?:require|import)\(\s*["']([^"']+)["']\s*\)/g;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name)).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** What each file imports: the project's files by path, and packages by name. */
export function importGraph(root: string, dirs: readonly string[] = ["cmd", "core"]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const dir of dirs) {
    for (const file of sources(join(root, dir))) {
      const text = readFileSync(file, "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
      const targets: string[] = [];
      for (const match of text.matchAll(IMPORT)) {
        const spec = match[1] ?? match[2]!;
        targets.push(spec.startsWith(".") ? relative(root, resolve(dirname(file), spec)) : spec);
      }
      graph.set(relative(root, file), targets);
    }
  }
  return graph;
}

/** Every cycle, as the files in it (Tarjan's strongly connected components of two or more files, or one importing itself). */
export function cycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next++);
    stack.push(node);
    onStack.add(node);
    for (const to of graph.get(node) ?? []) {
      if (!graph.has(to)) continue;
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) low.set(node, Math.min(low.get(node)!, index.get(to)!));
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component.sort());
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

/** The folder of core/ a path is in ("." for core/ itself), or undefined outside core/. */
function side(path: string): string | undefined {
  const parts = path.split("/");
  if (parts[0] !== "core") return undefined;
  return parts.length === 2 ? "." : parts[1];
}

/** Every broken rule, one line each; empty when the tree keeps them all. */
export function layoutProblems(root: string): string[] {
  const graph = importGraph(root);
  const problems = cycles(graph).map((cycle) => `import cycle: ${cycle.join(" ↔ ")}`);
  const top = [...graph.keys()].filter((file) => side(file) === ".");
  if (top.length > MAX_TOP) problems.push(`${top.length} modules directly in core/ (at most ${MAX_TOP}): ${top.join(", ")}`);
  for (const [file, targets] of graph) {
    const from = side(file);
    if (from === undefined) continue;
    const allowed = MAY_IMPORT[from];
    if (!allowed) {
      problems.push(`${file}: core/${from}/ is not a folder the layout knows`);
      continue;
    }
    for (const target of targets) {
      if (target.startsWith("cmd/")) problems.push(`${file} imports ${target}: core/ never imports cmd/`);
      const to = side(target);
      if (to !== undefined && !allowed.includes(to)) problems.push(`${file} imports ${target}: core/${from === "." ? "" : `${from}/`} may not import core/${to === "." ? "" : `${to}/`}`);
      if (NO_BUN.has(from) && (target === "bun" || target.startsWith("bun:"))) problems.push(`${file} imports ${target}: core/${from}/ runs without Bun`);
    }
  }
  return problems;
}

if (import.meta.main) {
  const problems = layoutProblems(join(import.meta.dir, ".."));
  for (const problem of problems) console.log(problem);
  console.log(problems.length === 0 ? "layout: no import cycle, every import points the right way" : `layout: ${problems.length} problems`);
  process.exit(problems.length === 0 ? 0 : 1);
}
