import { describe, expect, it } from "vitest";
import type { ScenarioResult } from "../../../util/bench/model.js";
import {
  awsProjection,
  DEFAULT_PROJECTION_INPUTS,
  judgeColdStart,
  measuredCpuPerSendMs,
  projectFanout,
} from "../../../util/bench/report/projection.js";
import type { ColdStart } from "../../../util/bench/scenarios/coldstart.js";

const inputs = DEFAULT_PROJECTION_INPUTS;
/** Sends a second of the default worker (1,024 MB) at the default paced CPU per send. */
const workerCpuRate = 1024 / 1769 / (inputs.shardCpuPerSendMs / 1000);

describe("projectFanout", () => {
  it("sends up to the inline maximum in the routes' function: one listing page, then CPU-bound at its memory", () => {
    // Prepare / Act
    const projected = projectFanout(1_000, inputs);
    // Assess: 1,000 sends at 0.095 ms on 1,024 MB (0.579 vCPU)
    expect(projected).toMatchObject({ mode: "inline", bound: "cpu" });
    expect(projected.ms).toBeCloseTo(30 + 50 + (1_000 * 0.095 * 1769) / 1024, 6);
  });

  it("shards past it: 16 shards each send their share of the burst at CPU speed, then 10,000 x 0.9 / 16 = 562.5/s", () => {
    // Prepare / Act
    const projected = projectFanout(100_000, inputs);
    // Assess: 6,250 per shard: a burst of floor(5,000 x 0.9 / 16) = 281, then 5,969 at 562.5/s
    expect(projected).toMatchObject({ mode: "sharded", bound: "pace" });
    const shard = 50 + (281 / workerCpuRate + 5_969 / 562.5) * 1000;
    expect(projected.ms).toBeCloseTo(30 + 2 * 50 + 100 + shard, 6);
  });

  it("is CPU-bound when a shard's memory buys less CPU than its pace needs", () => {
    // Prepare: 64 MB = 0.036 vCPU = 272 sends/s at 0.133 ms
    const small = { ...inputs, workerMemoryMb: 64 };
    // Act
    const projected = projectFanout(10_000, small);
    // Assess
    expect(projected.bound).toBe("cpu");
    const cpu = 64 / 1769 / 0.000133;
    expect(projected.ms).toBeCloseTo(30 + 100 + 100 + 50 + (625 / cpu) * 1000, 6);
  });
});

describe("awsProjection", () => {
  it("labels itself a model, prints its inputs, covers 100 to 1,000,000 recipients and judges each goal", () => {
    // Prepare: no scenario measured the CPU, so the profile's figures are used
    const scenarios: ScenarioResult[] = [];
    // Act
    const { lines, goals } = awsProjection(scenarios);
    // Assess
    expect(lines[0]).toContain("model, not measured");
    for (const input of [
      "0.095 ms/send inline",
      "0.133 ms/send paced",
      "routes 1024 MB",
      "16 shards of 1024 MB",
      "paced at 562/s after a burst of 281",
      "bucket 5,000, share 0.9",
      "50 ms a listing page",
    ]) {
      expect(lines[0]).toContain(input);
    }
    expect(lines.slice(1).map((line) => line.split(":")[0]?.trim())).toEqual([
      "- N = 100",
      "- N = 1,000",
      "- N = 10,000",
      "- N = 100,000",
      "- N = 1,000,000",
    ]);
    // 1,000,000 at 9,000 a second cannot be under 111 s: the share leaves a tenth of the account to others.
    expect(goals.map((goal) => goal.status)).toEqual(["met", "met", "met", "met", "not met"]);
  });

  it("calibrates on the run's inline CPU per send at N = 1,000 when the run measured it", () => {
    // Prepare
    const scenario = {
      scenario: "ours-broadcast",
      n: 1_000,
      delayMs: 0,
      summary: { senderCpuMs: 400 },
    } as unknown as ScenarioResult;
    const quick = { ...scenario, n: 100, summary: { senderCpuMs: 250 } } as unknown as ScenarioResult;
    // Act
    const cpu = measuredCpuPerSendMs([scenario, quick]);
    // Assess: the N = 100 run (warm-up dominated) is not used
    expect(cpu).toEqual({ inline: 0.4 });
    expect(measuredCpuPerSendMs([quick])).toEqual({});
    expect(awsProjection([scenario]).lines[0]).toContain("0.400 ms/send inline");
  });
});

describe("judgeColdStart", () => {
  it("judges the zip against 200 KiB and the import against 1.5x a bare node", () => {
    // Prepare
    const measured = {
      zipBytes: 140 * 1024,
      relativeToBareNode: 1.8,
      nodeWithImportMs: 180,
      bareNodeMs: 100,
    };
    // Act
    const verdicts = judgeColdStart(measured as ColdStart);
    // Assess
    expect(verdicts.map((v) => [v.status, v.measured])).toEqual([
      ["met", "140 KiB"],
      ["not met", "1.80x (180 ms against 100 ms)"],
      ["not measured", ""],
    ]);
    expect(judgeColdStart(null).map((v) => v.status)).toEqual(Array(3).fill("not measured"));
  });

  it("judges the stricter goal on the slowest route's first reply, and says the import is the entry only", () => {
    // Prepare: a split bundle whose entry imports fast, while the routes load their code on first use
    const measured = {
      zipBytes: 160 * 1024,
      relativeToBareNode: 1.2,
      nodeWithImportMs: 120,
      bareNodeMs: 100,
      firstInvocation: [
        { route: "$connect authorizer", nodeWithInvocationMs: 140, relativeToBareNode: 1.4 },
        { route: "shard (SQS)", nodeWithInvocationMs: 250, relativeToBareNode: 2.5 },
        { route: "broadcast", nodeWithInvocationMs: 240, relativeToBareNode: 2.4 },
      ],
    };
    // Act
    const verdicts = judgeColdStart(measured as ColdStart);
    // Assess
    expect(verdicts[1]?.status).toBe("met");
    expect(verdicts[1]?.measured).toContain("the entry only");
    expect(verdicts[2]).toMatchObject({ status: "not met", measured: "worst shard (SQS): 2.50x (250 ms)" });
  });
});
