// The GitHub workflows parse, run on the events they are for, and call only scripts this repository has.
import { expect, test } from "bun:test";
import { join } from "node:path";
import pkg from "../../package.json" with { type: "json" };
import { ROOT } from "../helpers.ts";

interface Step {
  uses?: string;
  with?: Record<string, string>;
  run?: string;
}
interface Workflow {
  on: Record<string, { tags?: string[] } | null>;
  permissions?: Record<string, string>;
  jobs: Record<string, { "runs-on": string; needs?: string | string[]; strategy?: { matrix: { os: string[] } }; steps: Step[] }>;
}

async function workflow(name: string): Promise<Workflow> {
  return Bun.YAML.parse(await Bun.file(join(ROOT, ".github/workflows", name)).text()) as Workflow;
}

function commands(flow: Workflow): string[] {
  return Object.values(flow.jobs).flatMap((job) => job.steps.flatMap((step) => (step.run ? step.run.split("\n") : [])));
}

for (const name of ["ci.yml", "release.yml"]) {
  test(`${name}: every npm script it runs is in package.json, every file it runs is in the repository`, async () => {
    const flow = await workflow(name);
    const scripts = Object.keys(pkg.scripts);
    for (const line of commands(flow)) {
      for (const [, script] of line.matchAll(/npm run ([\w:-]+)/g)) expect(scripts).toContain(script!);
      for (const [, file] of line.matchAll(/(?:^|\s)(\.[\w./-]+)/g)) expect(await Bun.file(join(ROOT, file!)).exists()).toBe(true);
    }
    for (const step of Object.values(flow.jobs).flatMap((job) => job.steps)) {
      if (step.uses) expect(step.uses).toMatch(/^actions\/[\w-]+@v\d+$/); // GitHub's own actions, pinned to a major version
    }
  });
}

test("ci.yml: the tests on every push and pull request, on Linux and macOS, through .ci/run", async () => {
  const flow = await workflow("ci.yml");
  expect(Object.keys(flow.on).sort()).toEqual(["pull_request", "push"]);
  const [job] = Object.values(flow.jobs);
  expect(job!.strategy!.matrix.os).toEqual(["ubuntu-latest", "macos-latest"]);
  expect(commands(flow)).toContain(".ci/run");
});

function isReleaseArtifact(step: Step, action: "upload" | "download"): boolean {
  return step.uses?.startsWith(`actions/${action}-artifact@`) === true && step.with?.name === "release";
}

test("release.yml: on a v* tag, build and check everything, then publish only what was checked", async () => {
  const flow = await workflow("release.yml");
  expect(flow.on).toEqual({ push: { tags: ["v*"] } });
  expect(flow.permissions).toEqual({ contents: "read" });
  const { build, publish } = flow.jobs;
  const run = build!.steps.map((step) => step.run);
  const check = run.indexOf('npm run release:check -- --tag "$GITHUB_REF_NAME" --repository "$GITHUB_REPOSITORY"');
  // The README each archive ships names this repository in its install line, and the check holds it to that.
  const release = run.indexOf('npm run release -- --repository "$GITHUB_REPOSITORY"');
  expect(release).toBeGreaterThan(-1);
  expect(check).toBeGreaterThan(release);
  // Only archives that passed the check leave the build job, and publish attaches those, not a build of its own.
  expect(build!.steps.findIndex((step) => isReleaseArtifact(step, "upload"))).toBeGreaterThan(check);
  expect(publish!.steps.some((step) => isReleaseArtifact(step, "download"))).toBe(true);
  expect(publish!.steps.filter((step) => /npm run release(?![\w:-])/.test(step.run ?? ""))).toEqual([]);
  expect(publish!.needs).toEqual(Object.keys(flow.jobs).filter((job) => job !== "publish"));
  expect(commands(flow).filter((line) => line.includes("gh release")).join("\n")).toContain("dist/release/* install.sh");
});
