import { describe, expect, it } from "vitest";
import type { RunResult, ScenarioResult } from "../../../util/bench/model.js";
import { summarize } from "../../../util/bench/model.js";
import { awsProjection, measuredCpuPerSendMs, shardRate } from "../../../util/bench/report/projection.js";
import { renderDispatchLine } from "../../../util/bench/report/summary.js";
import {
  describeConfig,
  judgeShards,
  renderShardLines,
  type ShardConfig,
  type ShardResults,
  type ShardRunSet,
} from "../../../util/bench/scenarios/shard-results.js";
import { runOf } from "../support/runs.js";

/** A run of `ms` to the last receipt with `cpuMs` of Lambda CPU; exactly once unless `missing`. */
function run(ms: number, cpuMs: number, missing = 0): RunResult {
  return runOf(ms, { recipients: 10_000, missing, cpuMs, rssBytes: 100 * 2 ** 20 });
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
    paths: [
      {
        path: "broadcast frame",
        recipients: 10_000,
        large: true,
        run: { ...run(3_000, 3_000), dispatch: "sharded into 4" },
      },
      {
        path: "SNS message",
        recipients: 10_000,
        large: true,
        run: { ...run(3_100, 3_000), dispatch: "sharded into 4" },
      },
      {
        path: "channel publish",
        recipients: 10_000,
        large: true,
        run: { ...run(3_200, 3_000), dispatch: "sharded into 4" },
      },
      { path: "channel publish", recipients: 100, large: false, run: { ...run(40, 30), dispatch: "inline" } },
    ],
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
    expect(goals.map((goal) => goal.status)).toEqual(["met", "met", "met", "met"]);
    expect(goals[0]?.measured).toBe("3.50x (28,000 ms against 8,000 ms)");
    expect(goals[1]?.measured).toBe("1.15x (11,500 ms against N / R = 10,000 ms, R = 1000/s)");
    expect(goals[2]?.measured).toBe("8 runs all exactly once; 0 in the dead-letter queue");
    expect(goals[3]?.measured).toBe(
      "broadcast frame to 10,000: sharded into 4; SNS message to 10,000: sharded into 4; " +
        "channel publish to 10,000: sharded into 4; channel publish to 100: inline",
    );
  });

  it("fails each goal on its own figure: 2.8x, 1.25x, a missing delivery or a shard in the DLQ, a large path inline", () => {
    // Prepare
    const slow = results({
      latency: [set({ shards: 1 }, [run(28_000, 3_000)]), set({ shards: 4 }, [run(10_000, 3_000, 1)])],
      throttle: set({ shards: 4, shardRate: 225, delayMs: 0, rateLimit: 1000 }, [run(12_500, 3_000)]),
    });
    const leftInQueue = results({ deadLetterDepth: 1 });
    const inline = results();
    const [broadcast] = inline.paths;
    if (broadcast) broadcast.run.dispatch = "inline";
    // Act
    const goals = judgeShards(slow);
    // Assess
    expect(goals.map((goal) => goal.status)).toEqual(["not met", "not met", "not met", "met"]);
    expect(judgeShards(inline)[3]).toMatchObject({ status: "not met" });
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
    expect(goals.map((goal) => goal.status)).toEqual(["not measured", "not measured", "met", "not measured"]);
    expect(judgeShards(undefined).map((goal) => goal.status)).toEqual(Array(4).fill("not measured"));
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
    expect(lines).toHaveLength(6);
    expect(lines[0]).toContain(
      "1 shard x 4 in flight, 10 ms/call): 28,000 ms; Lambda CPU 300 ms per 1,000 sends;",
    );
    expect(lines[2]).toContain("4 shards x 4 in flight, 10 ms/call): 8,000 ms, 3.50x faster than 1 shard;");
    expect(lines[3]).toContain(
      "4 shards paced to 225/s each, @connections limit 1000/s): 11,500 ms, 1.15x N / R;",
    );
    expect(lines[4]).toContain("channel publish to 100 40 ms, inline");
    expect(lines[5]).toContain("Lambda CPU per 1,000 sends 315 ms");
    expect(lines[5]).toContain("dead-letter queue: 0");
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
  it("takes the CPU per send from the paced sharded run first, then every sharded run, from N >= 1,000", () => {
    // Prepare
    const sharded = results();
    const unpaced = results({ throttle: null });
    // Act
    const cpu = measuredCpuPerSendMs([], sharded);
    // Assess: the paced run's 3,400 ms for 10,000 sends, else the 315 ms per 1,000 of every run
    expect(cpu).toEqual({ shard: 0.34 });
    expect(measuredCpuPerSendMs([], unpaced)).toEqual({ shard: 0.315 });
    expect(measuredCpuPerSendMs([], results({ n: 200 }))).toEqual({});
    expect(awsProjection([], sharded).lines[0]).toContain("0.340 ms/send paced");
  });
});

describe("renderDispatchLine", () => {
  it("says how each of ours was dispatched, once per scenario and N, and nothing for older results", () => {
    // Prepare
    const withDispatch = (
      scenario: "ours-sns" | "ours-broadcast",
      n: number,
      delayMs: number,
      dispatch: string,
    ) => ({ scenario, n, delayMs, runs: [{ ...run(100, 10), dispatch }], summary: null }) as ScenarioResult;
    const scenarios = [
      withDispatch("ours-sns", 1_000, 0, "inline"),
      withDispatch("ours-sns", 1_000, 10, "inline"),
      withDispatch("ours-broadcast", 10_000, 0, "sharded into 16"),
    ];
    // Act
    const lines = renderDispatchLine(scenarios);
    // Assess
    expect(lines).toEqual([
      "- dispatch (the Lambda's log): ours via SNS publish at N = 1,000: inline; " +
        "ours via broadcast frame at N = 10,000: sharded into 16",
    ]);
    expect(renderDispatchLine([{ ...scenarios[0], runs: [run(100, 10)] } as ScenarioResult])).toEqual([]);
  });
});
