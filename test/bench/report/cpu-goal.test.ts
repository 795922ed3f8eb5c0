import { describe, expect, it } from "vitest";
import type { ScenarioResult } from "../../../util/bench/model.js";
import { cpuFigures, judgeCpuPerSend } from "../../../util/bench/report/cpu-goal.js";
import type { CappedResult } from "../../../util/bench/scenarios/cpu-cap.js";
import type { ShardResults } from "../../../util/bench/scenarios/shard-results.js";
import { runOf } from "../support/runs.js";

/** A scenario of ours whose runs cost `cpuMs` of Lambda CPU (the median). */
function ours(n: number, delayMs: number, cpuMs: number): ScenarioResult {
  return {
    scenario: "ours-sns",
    n,
    delayMs,
    runs: [runOf(100, { recipients: 1, cpuMs })],
    summary: { senderCpuMs: cpuMs } as ScenarioResult["summary"],
  };
}

describe("the CPU goal", () => {
  it("takes every configuration of 1,000 recipients or more, ours inline, sharded, paced and capped", () => {
    // Prepare
    const scenarios = [ours(100, 0, 250), ours(1_000, 0, 90), ours(10_000, 10, 1_100)];
    const shards = {
      n: 10_000,
      latency: [
        {
          config: { shards: 4, perShardConcurrency: 4, shardRate: 0, delayMs: 10, rateLimit: 0 },
          cpuMsPerThousandSends: 95,
        },
      ],
      throttle: {
        config: {
          shards: 4,
          perShardConcurrency: 100,
          shardRate: 112,
          shardBurst: 56,
          delayMs: 0,
          rateLimit: 500,
        },
        cpuMsPerThousandSends: 130,
      },
      paths: [],
    } as unknown as ShardResults;
    const capped = { memoryMb: 1024, recipients: 1_000, cpuMsPerThousandSends: 99 } as CappedResult;
    // Act
    const figures = cpuFigures(scenarios, shards, capped);
    const verdict = judgeCpuPerSend(figures);
    // Assess: N = 100 is left out (warm-up dominated)
    expect(figures.map((f) => Math.round(f.msPerThousand))).toEqual([90, 110, 95, 130, 99]);
    expect(verdict.status).toBe("not met");
    expect(verdict.measured).toMatch(/^3 of 5 within; ours via SNS publish, N = 1,000, loopback 90 ms; /);
    expect(verdict.measured).toContain(
      "sharded, 4 shards paced to 112/s each after a burst of 56, @connections limit 500/s 130 ms",
    );
  });

  it("is met when no configuration is over 100 ms, and not measured without any", () => {
    // Prepare
    const within = [ours(1_000, 0, 100)];
    // Act
    const verdicts = [judgeCpuPerSend(cpuFigures(within, undefined, undefined)), judgeCpuPerSend([])];
    // Assess
    expect(verdicts.map((v) => v.status)).toEqual(["met", "not measured"]);
  });
});
