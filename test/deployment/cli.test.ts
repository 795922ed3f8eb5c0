import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../../util/lib/repo.js";

const exec = promisify(execFile);

/** Runs a command from the repository root as a user would; resolves with its exit code and output. */
async function runCommand(
  file: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(file, args, { cwd: repoRoot, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const tsx = join(repoRoot, "node_modules/.bin/tsx");
let workDir: string;

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), "fanout-cli-"));
});

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

describe("util/lambda-build", () => {
  it("builds into --out-dir and reports bundle size, zip size, source_code_hash and cold import time", async () => {
    // Prepare
    const outDir = join(workDir, "dist");
    // Act
    const result = await runCommand("util/lambda-build", ["--out-dir", outDir]);
    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /^bundle\s+\S+index\.mjs\s+\d+\.\d KiB in \d+ files \(entry \d+\.\d KiB\)$/m,
    );
    expect(result.stdout).toMatch(/^zip\s+\S+lambda\.zip\s+\d+\.\d KiB$/m);
    expect(result.stdout).toMatch(/^source_code_hash\s+[A-Za-z0-9+/]{43}=$/m);
    expect(result.stdout).toMatch(/^cold import\s+\d+ ms/m);
    expect(existsSync(join(outDir, "lambda.zip"))).toBe(true);
    expect(existsSync(join(outDir, "lambda", "index.mjs"))).toBe(true);
  });

  it("prints its usage with --help", async () => {
    // Prepare / Act
    const result = await runCommand("util/lambda-build", ["--help"]);
    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Usage: util/lambda-build");
  });

  it("exits 2 on an unknown option and says what to do", async () => {
    // Prepare / Act
    const result = await runCommand("util/lambda-build", ["--out"]);
    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--help");
    expect(result.stdout).toBe("");
  });
});

describe("npm run synth (deployment/main.ts)", () => {
  it("prints its usage with --help", async () => {
    // Prepare / Act
    const result = await runCommand(tsx, ["deployment/main.ts", "--help"]);
    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("--hcl");
    expect(result.stdout).toContain("FANOUT_STATE_BUCKET");
  });

  it("exits 2 on an unexpected argument and says what to do", async () => {
    // Prepare / Act
    const result = await runCommand(tsx, ["deployment/main.ts", "apply"]);
    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--help");
  });
});
