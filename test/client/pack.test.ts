import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../util/lib/repo.js";
import { startTestStack, type TestStack } from "../support/stack.js";

const run = promisify(execFile);

/**
 * The environment of the npm and node processes: none of the `npm_*` variables of the `npm test` around this test
 * (they would point npm at the repository), and a cache of its own, so that the install shows it needs no network.
 */
function cleanEnv(dir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
  return { ...env, npm_config_cache: join(dir, "npm-cache"), npm_config_update_notifier: "false", ...extra };
}

/** The ten-line script of docs/client.md: the fenced block between the `client-example:node` markers. */
function docsExample(): string {
  const docs = readFileSync(join(repoRoot, "docs", "client.md"), "utf8");
  const block = /<!-- client-example:node -->\s*```js\n([\s\S]*?)```\s*<!-- \/client-example:node -->/.exec(
    docs,
  );
  if (!block?.[1])
    throw new Error("docs/client.md has no ```js block between the client-example:node markers");
  return block[1];
}

/** What the tarball must hold: package.json, the README, and for each source file its build and its source. */
function expectedFiles(): string[] {
  const modules = readdirSync(join(repoRoot, "client", "src")).map((file) => file.replace(/\.ts$/, ""));
  const built = modules.flatMap((m) =>
    [".js", ".js.map", ".d.ts", ".d.ts.map"].map((ext) => `dist/${m}${ext}`),
  );
  return ["README.md", "package.json", ...built, ...modules.map((m) => `src/${m}.ts`)].sort();
}

describe("the client package, packed and installed in a scratch app outside the repository", () => {
  let stack: TestStack;
  let dir: string;
  let app: string;
  let tarballFiles: string[];

  beforeAll(async () => {
    // Prepare: the tarball from client/dist as `npm test` built it (--ignore-scripts: no rebuild while other test
    // files read client/dist), and an app that installs it with no network
    dir = await mkdtemp(join(tmpdir(), "fanout-pack-"));
    app = join(dir, "app");
    await mkdir(app);
    const packed = await run(
      "npm",
      ["pack", "-w", "@fanout/client", "--ignore-scripts", "--json", "--pack-destination", dir],
      {
        cwd: repoRoot,
        env: cleanEnv(dir),
      },
    );
    const [tarball] = JSON.parse(packed.stdout) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    tarballFiles = (tarball?.files ?? []).map((f) => f.path).sort();
    await writeFile(
      join(app, "package.json"),
      JSON.stringify({ name: "scratch", private: true, type: "module" }),
    );
    await run(
      "npm",
      ["install", "--offline", "--no-audit", "--no-fund", join(dir, tarball?.filename ?? "")],
      {
        cwd: app,
        env: cleanEnv(dir),
      },
    );
    stack = await startTestStack();
  });

  afterAll(async () => {
    await stack?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("holds the build, its declarations and source maps, and the sources they point to, nothing else", async () => {
    // Prepare
    const installed = join(app, "node_modules", "@fanout", "client");

    // Act
    const manifest = JSON.parse(await readFile(join(installed, "package.json"), "utf8"));
    const declarations = await Promise.all(
      tarballFiles.filter((f) => f.endsWith(".d.ts")).map((f) => readFile(join(installed, f), "utf8")),
    );

    // Assess
    expect(tarballFiles).toEqual(expectedFiles());
    expect(manifest).toMatchObject({ name: "@fanout/client", type: "module", sideEffects: false });
    expect(manifest.dependencies).toBeUndefined();
    expect(declarations.join("\n")).not.toMatch(/from "\.\.\//);
  });

  it("type-checks an app against the installed declarations alone (strict, no DOM types)", async () => {
    // Prepare
    await writeFile(
      join(app, "check.ts"),
      `import { createClient, ErrorCode, type FanoutError, MAX_FRAME_BYTES } from "@fanout/client";
const client = createClient({ url: "ws://127.0.0.1:9/x", canFragment: false, requestTimeoutMs: 1_000 });
export const off = client.on("error", (error: FanoutError) => {
  const seen: [boolean, number | undefined, number] = [error.code === ErrorCode.CONNECT, error.status, MAX_FRAME_BYTES];
  return seen;
});
`,
    );
    await writeFile(
      join(app, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: "nodenext",
          target: "es2022",
          lib: ["es2023"],
          types: [],
          noEmit: true,
        },
        files: ["check.ts"],
      }),
    );

    // Act
    const checked = run(
      process.execPath,
      [join(repoRoot, "node_modules", "typescript", "bin", "tsc"), "-p", "."],
      {
        cwd: app,
      },
    );

    // Assess
    await expect(checked).resolves.toMatchObject({ stdout: "", stderr: "" });
  });

  it("runs the ten-line script of docs/client.md on Node 24's WebSocket against the local stack", async () => {
    // Prepare
    await writeFile(join(app, "app.mjs"), docsExample());
    const url = stack.tokenUrl({ broadcast: false, subscribe: ["news/*"], publish: ["news/*"] });

    // Act
    const result = await run(process.execPath, ["app.mjs"], {
      cwd: app,
      env: cleanEnv(dir, { FANOUT_URL: url }),
      timeout: 30_000,
    });

    // Assess
    expect(process.versions.node.split(".")[0]).toBe("24");
    expect(docsExample().trim().split("\n")).toHaveLength(10);
    expect(result).toMatchObject({ stdout: 'news/eu {"title":"hello"}\n', stderr: "" });
  });
});
