import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../util/lib/repo.js";

/** Runs the benchmark's entry point as `npm run bench` does (tsx), without starting a stack. */
function bench(args: string[], env: Record<string, string> = {}) {
  return spawnSync(process.execPath, ["--import", "tsx", "util/bench/main.ts", ...args], {
    cwd: repoRoot,
    encoding: "utf8",
    timeout: 30_000,
    env: { ...process.env, ...env },
  });
}

describe("npm run bench (command line only)", () => {
  it("prints its help and exits 0", () => {
    // Prepare
    const args = ["--help"];
    // Act
    const result = bench(args);
    // Assess
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("Usage: npm run bench -- [options]");
    expect(result.stdout).toContain("--quick");
  });

  it("exits 2 on a usage error with a one-line cause and where to look", () => {
    // Prepare
    const args = ["--runs", "zero"];
    // Act
    const result = bench(args);
    // Assess
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(
      "bench: --runs must be an integer >= 1, got 'zero'\nRun 'npm run bench -- --help' for usage.\n",
    );
    expect(result.stdout).toBe("");
  });

  it("exits 1 before starting anything when N needs more open files than allowed", () => {
    // Prepare
    const args = ["-n", "1000000"];
    // Act
    const result = bench(args);
    // Assess
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /^bench: N = 1000000 needs about 1002000 open files in one process, the limit is \d+; raise it \(ulimit -n\) or lower N\n$/,
    );
  });

  it("exits 1 before starting anything when --cpu-cap is asked for and the cgroup cannot be used", () => {
    // Prepare: a cpu controller that is not there
    const args = ["--quick", "--cpu-cap"];
    // Act
    const result = bench(args, { FANOUT_BENCH_CGROUP_CPU: "/nonexistent/cgroup/cpu" });
    // Assess
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      "bench: --cpu-cap measures the function at Lambda's CPU share in a cgroup, but there is no cgroup v1 cpu controller " +
        "at /nonexistent/cgroup/cpu (Linux with cgroup v1 is needed); leave --cpu-cap out to run the rest\n",
    );
    expect(result.stdout).toBe("");
  });
});
