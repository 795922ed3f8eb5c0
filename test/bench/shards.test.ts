import { describe, expect, it } from "vitest";
import type { RunResult } from "../../util/bench/model.js";
import { summarize } from "../../util/bench/model.js";
import { awsProjection, measuredCpuPerSendMs } from "../../util/bench/projection.js";
import {
  describeConfig,
  judgeShards,
  renderShardLines,
  type ShardConfig,
  type ShardResults,
  type ShardRunSet,
  shardRate,
} from "../../util/bench/shards.js";

/** A run of `ms` to the last receipt with `cpuMs` of Lambda CPU; exactly once unless `missing`. */
function run(ms: number, cpuMs: number, missing = 0): RunResult {
  return {
    t0: 0,
    senderCpuMs: cpuMs,
    senderPeakRssBytes: 100 * 2 ** 20,
    publishToLastMs: ms,
    latencyMs: { p50: ms / 2, p99: ms, max: ms },
    deliveriesPerSec: 10_000 / (ms / 1000),
    delivery: {
      expected: 10_000,
      received: 10_000 - missing,
      missing,
      duplicated: 0,
      exactlyOnce: missing === 0,
    },
  };
}

function set(config: Partial<ShardConfig>, runs: RunResult[]): ShardRunSet {
  return {
    config: { shards: 1, perShardConcurrency: 4, shardRate: 0, delayMs: 10, rateLimit: 0, ...config },
    runs,
    summary: summarize(runs),
    throttledRetries: 0,
    failed: 0,
    // Per 1,000 of the N = 10,000 sends.
    cpuMsPerThousandSends: (summarize(runs)?.senderCpuMs ?? 0) / 10,
  };
}

/** N = 10,000: 1, 2 and 4 shards at 28, 14.5 and 8 s, then 11.5 s under a throttle of 1,000/s. */
function results(overrides: Partial<ShardResults> = {}): ShardResults {
  return {
    n: 10_000,
    latency: [
      set({ shards: 1 }, [run(28_000, 3_000)]),
      set({ shards: 2 }, [run(14_500, 3_000)]),
      set({ shards: 4 }, [run(8_000, 3_200)]),
    ],
    throttle: set({ shards: 4, perShardConcurrency: 100, shardRate: 225, delayMs: 0, rateLimit: 1000 }, [
      run(11_500, 3_400),
    ]),
    deadLetterDepth: 0,
    cpuMsPerThousandSends: 315,
    localListKeysPerSecond: 9_000,
    ...overrides,
  };
}

describe("shardRate", () => {
  it("is the deployment's formula: the account's share over the shards, rounded down to an integer", () => {
    // Prepare / Act / Assess
    expect(shardRate(10_000, 0.9, 16)).toBe(562);
    expect(shardRate(1_000, 0.9, 4)).toBe(225);
  });
});

describe("judgeShards", () => {
  it("meets the goals when 4 shards are 3.5x faster than 1, the throttle run is 1.15x N / R and nothing is lost", () => {
    // Prepare
    const measured = results();
    // Act
    const goals = judgeShards(measured);
    // Assess
    expect(goals.map((goal) => goal.status)).toEqual(["met", "met", "met"]);
    expect(goals[0]?.measured).toBe("3.50x (28,000 ms against 8,000 ms)");
    expect(goals[1]?.measured).toBe("1.15x (11,500 ms against N / R = 10,000 ms, R = 1000/s)");
    expect(goals[2]?.measured).toBe("4 runs of 10,000 all exactly once; 0 in the dead-letter queue");
  });

  it("fails each goal on its own figure: 2.8x, 1.25x, a run with a missing delivery, a shard left in the DLQ", () => {
    // Prepare
    const slow = results({
      latency: [set({ shards: 1 }, [run(28_000, 3_000)]), set({ shards: 4 }, [run(10_000, 3_000, 1)])],
      throttle: set({ shards: 4, shardRate: 225, delayMs: 0, rateLimit: 1000 }, [run(12_500, 3_000)]),
    });
    const leftInQueue = results({ deadLetterDepth: 1 });
    // Act
    const goals = judgeShards(slow);
    // Assess
    expect(goals.map((goal) => goal.status)).toEqual(["not met", "not met", "not met"]);
    expect(goals[2]?.measured).toContain("NOT all exactly once");
    expect(judgeShards(leftInQueue)[2]).toMatchObject({ status: "not met" });
    expect(judgeShards(leftInQueue)[2]?.measured).toContain("1 in the dead-letter queue");
  });

  it("does not judge the speed goals below N = 10,000 (--quick) nor when the runs were skipped", () => {
    // Prepare
    const quick = results({ n: 200 });
    // Act
    const goals = judgeShards(quick);
    // Assess
    expect(goals.map((goal) => goal.status)).toEqual(["not measured", "not measured", "met"]);
    expect(judgeShards(undefined).map((goal) => goal.status)).toEqual(Array(3).fill("not measured"));
    expect(judgeShards(results({ throttle: null }))[1]?.status).toBe("not measured");
  });
});

describe("renderShardLines", () => {
  it("gives one line per configuration, with its speed-up or its multiple of the floor, then CPU and the DLQ", () => {
    // Prepare
    const measured = results();
    // Act
    const lines = renderShardLines(measured);
    // Assess
    expect(lines).toHaveLength(5);
    expect(lines[0]).toContain(
      "1 shard x 4 in flight, 10 ms/call): 28,000 ms; Lambda CPU 300 ms per 1,000 sends;",
    );
    expect(lines[2]).toContain("4 shards x 4 in flight, 10 ms/call): 8,000 ms, 3.50x faster than 1 shard;");
    expect(lines[3]).toContain(
      "4 shards paced to 225/s each, @connections limit 1000/s): 11,500 ms, 1.15x N / R;",
    );
    expect(lines[4]).toContain("Lambda CPU per 1,000 sends 315 ms");
    expect(lines[4]).toContain("dead-letter queue: 0");
    expect(renderShardLines(undefined)).toEqual([]);
  });

  it("describes a configuration in words", () => {
    // Prepare / Act / Assess
    expect(
      describeConfig({ shards: 2, perShardConcurrency: 3, shardRate: 0, delayMs: 10, rateLimit: 0 }),
    ).toBe("2 shards x 3 in flight, 10 ms/call");
  });
});

describe("the projection's calibration", () => {
  it("takes the CPU per send from the sharded runs first, when they had at least 1,000 recipients", () => {
    // Prepare
    const sharded = results();
    // Act
    const cpu = measuredCpuPerSendMs([], sharded);
    // Assess
    expect(cpu).toBe(0.315);
    expect(measuredCpuPerSendMs([], results({ n: 200 }))).toBeUndefined();
    expect(awsProjection([], sharded).lines[0]).toContain("0.315 ms/send");
  });
});
