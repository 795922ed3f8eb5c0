import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type ProcessResult, runToEnd } from "../../util/lib/cli.js";
import { repoRoot } from "../../util/lib/repo.js";
import type { SoakResults } from "../../util/soak/report.js";

const SOAK = ["--import", "tsx", "util/soak/main.ts"];

/** Runs `npm run soak` as a user does (tsx), interrupted (SIGINT) if it outlives `timeoutMs`. */
function soak(args: string[], timeoutMs: number): Promise<ProcessResult> {
  return runToEnd(process.execPath, [...SOAK, ...args], {
    cwd: repoRoot,
    env: process.env,
    timeout: timeoutMs,
    killSignal: "SIGINT",
  });
}

describe("npm run soak -- --quick", () => {
  const outDir = mkdtempSync(join(tmpdir(), "fanout-soak-test-"));
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it("delivers every message exactly once to every stayer and leaves no connection key", async () => {
    // Prepare
    const args = ["--quick", "--out", outDir];
    // Act
    const run = await soak(args, 170_000);
    // Assess
    expect(run.stderr).not.toContain("FAILED");
    expect(run.code).toBe(0);
    const results = JSON.parse(readFileSync(join(outDir, "results.json"), "utf8")) as SoakResults;
    const d = results.delivery;
    // 20 s at 2 messages a second, alternating SNS and broadcast.
    expect(d.published).toEqual({ total: 40, sns: 20, broadcast: 20, failed: 0 });
    expect(d.stayers.count).toBe(50);
    expect(d.stayers.expected).toBe(50 * 40);
    expect(d.stayers.delivered).toBe(50 * 40);
    expect(d.stayers.misses).toBe(0);
    expect(d.stayers.duplicates).toBe(0);
    expect(d.churners.duplicates).toBe(0);
    expect(d.churners.delivered).toBeLessThanOrEqual(d.churners.mayReceive);
    expect(d.otherFrames).toBe(0);
    expect(results.clients.stayersDropped).toBe(0);
    expect(results.clients.churnConnects).toBeGreaterThan(20);
    expect(results.clients.churnAborts).toBeGreaterThan(0);
    expect(results.keysLeft).toBe(0);
    expect(results.failures).toEqual([]);
    expect(results.memory.gatewayPeakRssBytes).toBeGreaterThan(0);
    expect(results.memory.lambdaPeakRssBytes).toBeGreaterThan(0);
    expect(results.memory.lambdaWorkersSeen).toBeGreaterThan(0);
    // The recovery phase: 20 library clients, 10 s at 20 a second, dropped and renewed, every message once in order.
    expect(results.recovery).toMatchObject({
      clients: 20,
      published: 200,
      expected: 20 * 200,
      delivered: 20 * 200,
      misses: 0,
      duplicates: 0,
      outOfOrder: 0,
      disagreements: 0,
      recoveries: { incomplete: 0 },
    });
    expect(results.recovery?.drops).toBeGreaterThan(0);
    expect(run.stdout).toContain(
      "| recovery: misses, duplicates, out of order, disagreements | 0, 0, 0, 0 |",
    );
    expect(run.stdout).toContain("| connection keys left in S3 | 0 |");
    expect(run.stdout).toContain("PASSED");
  }, 180_000);
});

describe("npm run soak (command line only)", () => {
  it("prints its help and exits 0", () => {
    // Prepare
    const args = ["--help"];
    // Act
    const result = spawnSync(process.execPath, [...SOAK, ...args], {
      cwd: repoRoot,
      encoding: "utf8",
      timeout: 30_000,
    });
    // Assess
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("Usage: npm run soak -- [options]");
    expect(result.stdout).toContain("--clients M");
  });

  it("exits 2 on a usage error with a one-line cause and where to look", () => {
    // Prepare
    const args = ["--processes", "3"];
    // Act
    const result = spawnSync(process.execPath, [...SOAK, ...args], {
      cwd: repoRoot,
      encoding: "utf8",
      timeout: 30_000,
    });
    // Assess
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      "soak: --processes must be 1 or 2, got 3\nRun 'npm run soak -- --help' for usage.\n",
    );
    expect(result.stdout).toBe("");
  });
});
