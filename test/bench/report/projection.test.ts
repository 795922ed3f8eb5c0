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

describe("projectFanout", () => {
  it("is pace-bound with the defaults: 16 shards at 10,000 x 0.9 / 16 = 562.5/s each, plus the overhead", () => {
    // Prepare / Act
    const projected = projectFanout(100_000, DEFAULT_PROJECTION_INPUTS);
    // Assess: 6,250 per shard / 562.5 per s = 11.11 s
    expect(projected.bound).toBe("pace");
    expect(projected.ms).toBeCloseTo(200 + (6_250 / 562.5) * 1000, 6);
  });

  it("is CPU-bound when a shard's memory buys less CPU than its pace needs", () => {
    // Prepare: 128 MB = 0.072 vCPU = 219 sends/s at 0.33 ms
    const small = { ...DEFAULT_PROJECTION_INPUTS, memoryMb: 128 };
    // Act
    const projected = projectFanout(10_000, small);
    // Assess
    expect(projected.bound).toBe("cpu");
    expect(projected.ms).toBeCloseTo(200 + (625 / (128 / 1769 / 0.00033)) * 1000, 6);
  });
});

describe("awsProjection", () => {
  it("labels itself a model, covers 10k/100k/1M with defaults (one vCPU per shard) and at 1,024 MB, and judges the goals", () => {
    // Prepare: no scenario measured the CPU, so the figure is used
    const scenarios: ScenarioResult[] = [];
    // Act
    const { lines, goals } = awsProjection(scenarios);
    // Assess
    expect(lines[0]).toContain("model, not measured");
    expect(lines[0]).toContain("0.330 ms/send");
    expect(lines.slice(1).map((line) => line.split(":")[0]?.trim())).toEqual([
      "- N = 10,000",
      "- N = 100,000",
      "- N = 1,000,000",
    ]);
    expect(lines[1]).toContain("at 1,024 MB");
    expect(lines[0]).toContain("1769 MB workers");
    expect(goals.map((goal) => goal.status)).toEqual(["met", "met", "met"]);
  });

  it("calibrates on the run's Lambda CPU per send when the run measured it", () => {
    // Prepare
    const scenario = {
      scenario: "ours-broadcast",
      n: 10_000,
      delayMs: 0,
      summary: { senderCpuMs: 4_000 },
    } as unknown as ScenarioResult;
    const quick = { ...scenario, n: 100, summary: { senderCpuMs: 250 } } as unknown as ScenarioResult;
    // Act
    const cpu = measuredCpuPerSendMs([scenario, quick]);
    // Assess: the N = 100 run (warm-up dominated) is not used
    expect(cpu).toBe(0.4);
    expect(measuredCpuPerSendMs([quick])).toBeUndefined();
    expect(awsProjection([scenario]).lines[0]).toContain("0.400 ms/send (this run's Lambda CPU per send");
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
