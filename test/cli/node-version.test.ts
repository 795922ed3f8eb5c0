import { spawnSync } from "node:child_process";
import { copyFileSync, readFileSync, rmSync } from "node:fs";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProcessResult } from "../../util/lib/cli.js";
import { repoRoot } from "../../util/lib/repo.js";
import { cliEnv, runCommand as run, runCliToEnd, tempDir } from "./support/run.js";

/** The Node a newcomer may still have as the default: 20 (the machine's own here, Debian's and many others'). */
const OLD_MAJOR = 20;
/** The one line every entry point prints on it. */
const NEEDS_NODE =
  /^fanout needs Node\.js 24 or later, and this is Node\.js 20\.\d+\.\d+ \(.+\): install Node\.js 24 \(nvm install, which reads \.nvmrc; or https:\/\/nodejs\.org\/en\/download\), put it first on PATH, then run npm ci again\.$/;

let home: string;
/** A hermetic environment with Node 20 first on PATH (the machine's npm then runs on it too). */
let oldNodeEnv: NodeJS.ProcessEnv;

beforeAll(() => {
  // The official Node 20 binary from the npm registry, cached beside CI's Node 24 (.ci/provision-node); with the
  // runner's own environment, so that the cache is the user's, not the hermetic HOME below.
  const provision = spawnSync("bash", [join(repoRoot, ".ci", "provision-node"), String(OLD_MAJOR)], {
    encoding: "utf8",
    timeout: 110_000,
  });
  if (provision.status !== 0) {
    throw new Error(
      `cannot provision Node ${OLD_MAJOR} from the npm registry (node-<os>-<arch>@${OLD_MAJOR}, as .ci/provision-node ` +
        `does for CI's Node 24), so the version check cannot be run on an old Node: ${provision.stderr || provision.error}`,
    );
  }
  home = tempDir();
  oldNodeEnv = cliEnv(home, { PATH: `${provision.stdout.trim()}${delimiter}${process.env.PATH ?? ""}` });
}, 120_000);

afterAll(() => {
  if (home) rmSync(home, { recursive: true, force: true });
});

/** Exit 1 with the one line, and none of the obscure failures the dependencies would have printed. */
function expectNeedsNode(result: ProcessResult): void {
  expect(result.code, result.stderr).toBe(1);
  expect(result.stderr.trimEnd().split("\n")).toEqual([expect.stringMatching(NEEDS_NODE)]);
}

describe(`on Node ${OLD_MAJOR}, every entry point names the Node it needs in one line`, () => {
  it("the check itself runs there (no syntax or module it lacks)", async () => {
    // Prepare / Act
    const result = await run("node", [join(repoRoot, "util", "check-node.cjs")], oldNodeEnv);

    // Assess
    expectNeedsNode(result);
  });

  it("a util/* command, before it loads anything", async () => {
    // Prepare / Act
    const result = await runCliToEnd("connect", ["--help"], oldNodeEnv);

    // Assess
    expectNeedsNode(result);
    expect(result.stdout).toBe("");
  });

  it.each([["start"], ["test"]])("npm %s", async (script) => {
    // Prepare / Act
    const result = await run("npm", [script], oldNodeEnv);

    // Assess: npm echoes the script's command line on stdout; stderr is the one line
    expectNeedsNode(result);
    expect(result.stdout).not.toMatch(/ERR_|Map\.groupBy|node:sqlite/);
  });

  it("npm ci stops at once with the engine error (engine-strict), before installing anything", async () => {
    // Prepare: the files npm ci reads, in a folder of their own, so that nothing here is touched
    const dir = tempDir("fanout-ci-");
    for (const file of ["package.json", "package-lock.json", ".npmrc"])
      copyFileSync(join(repoRoot, file), join(dir, file));

    // Act
    const result = await run("npm", ["ci", "--no-audit", "--no-fund"], oldNodeEnv, dir);
    rmSync(dir, { recursive: true, force: true });

    // Assess
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/^npm error code EBADENGINE$/m);
    expect(result.stderr).toContain('Required: {"node":">=24"}');
    expect(result.stderr).not.toContain("npm warn");
  });
});

describe("on the Node the project needs", () => {
  it("the check passes silently", async () => {
    // Prepare / Act
    const result = await run(process.execPath, [join(repoRoot, "util", "check-node.cjs")], process.env);

    // Assess
    expect(result).toMatchObject({ code: 0, stdout: "", stderr: "" });
  });

  it(".nvmrc names the major version that package.json's engines requires", () => {
    // Prepare
    const engines = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).engines.node as string;

    // Act
    const nvmrc = readFileSync(join(repoRoot, ".nvmrc"), "utf8").trim();

    // Assess
    expect(engines).toBe(`>=${nvmrc}`);
  });
});
