import { describe, expect, it } from "vitest";
import {
  judgeGoals,
  LAMBDA_MEMORY_BYTES,
  type RunResult,
  type ScenarioId,
  type ScenarioResult,
  summarize,
} from "../../util/bench/model.js";
import { runOf } from "./support/runs.js";

/** A run to one client, exactly once unless told. */
function oneRecipientRun(
  ms: number,
  exactlyOnce = true,
  cpu: number | null = 10,
  rss: number | null = 50e6,
): RunResult {
  return runOf(ms, { recipients: 1, duplicated: exactlyOnce ? 0 : 1, cpuMs: cpu, rssBytes: rss });
}

function result(scenario: ScenarioId, n: number, delayMs: number, ms: number, rss = 50e6): ScenarioResult {
  const runs = [oneRecipientRun(ms, true, 10, rss)];
  return { scenario, n, delayMs, runs, summary: summarize(runs) };
}

describe("summarize", () => {
  it("takes medians of the times, the max of the peak memory, and exactly-once over all runs", () => {
    // Prepare
    const runs = [
      oneRecipientRun(300, true, 30, 10),
      oneRecipientRun(100, true, 10, 30),
      oneRecipientRun(200, false, 20, 20),
    ];
    // Act
    const summary = summarize(runs);
    // Assess
    expect(summary).toMatchObject({
      publishToLastMs: 200,
      p50Ms: 100,
      senderCpuMs: 20,
      senderPeakRssBytes: 30,
      exactlyOnce: false,
    });
  });

  it("is null without runs and leaves sender figures null when no run has them", () => {
    // Prepare
    const runs = [oneRecipientRun(10, true, null, null)];
    // Act
    const [none, some] = [summarize([]), summarize(runs)];
    // Assess
    expect(none).toBeNull();
    expect(some?.senderCpuMs).toBeNull();
    expect(some?.senderPeakRssBytes).toBeNull();
  });
});

describe("judgeGoals", () => {
  it("meets all three goals on figures that satisfy them", () => {
    // Prepare
    const results = [
      result("http-ceiling", 1_000, 0, 300),
      result("ours-sns", 1_000, 0, 330),
      result("ours-broadcast", 1_000, 0, 360),
      result("http-ceiling", 10_000, 0, 1_000),
      result("ours-sns", 10_000, 0, 1_100, 100 * 2 ** 20),
      result("ours-broadcast", 10_000, 0, 1_200, 120 * 2 ** 20),
      result("seed", 1_000, 10, 12_000),
      result("aws-sample", 1_000, 10, 400),
      result("ours-sns", 1_000, 10, 250),
      result("ours-broadcast", 1_000, 10, 300),
    ];
    // Act
    const goals = judgeGoals(results, 10);
    // Assess
    expect(goals.map((g) => g.status)).toEqual(["met", "met", "met"]);
    expect(goals[0]?.measured).toContain("N = 10,000 ours-broadcast 1.20x");
    expect(goals[2]?.measured).toContain("120.0 MB");
  });

  it("fails each goal by its own threshold", () => {
    // Prepare
    const results = [
      result("http-ceiling", 1_000, 0, 300),
      result("ours-sns", 1_000, 0, 330),
      result("ours-broadcast", 1_000, 0, 370),
      result("http-ceiling", 10_000, 0, 1_000),
      result("ours-sns", 10_000, 0, 1_100, LAMBDA_MEMORY_BYTES),
      result("ours-broadcast", 10_000, 0, 1_150),
      result("seed", 1_000, 10, 12_000),
      result("aws-sample", 1_000, 10, 250),
      result("ours-sns", 1_000, 10, 250),
      result("ours-broadcast", 1_000, 10, 200),
    ];
    // Act
    const goals = judgeGoals(results, 10);
    // Assess
    expect(goals.map((g) => g.status)).toEqual(["not met", "not met", "not met"]);
  });

  it("judges memory by the highest peak at N = 10,000 under either network model", () => {
    // Prepare
    const results = [
      result("ours-sns", 10_000, 0, 1_000, 100 * 2 ** 20),
      result("ours-broadcast", 10_000, 10, 1_000, 800 * 2 ** 20),
    ];
    // Act
    const memory = judgeGoals(results, 10)[2];
    // Assess: the function's 1,024 MB, and the 256 MB of before for comparison
    expect(memory).toMatchObject({
      status: "not met",
      measured: "peak RSS 800.0 MB (78% of 1,024 MB; 313% of the 256 MB of before)",
    });
  });

  it("uses the seed's lower bound when it was not run, and says what was not measured", () => {
    // Prepare
    const bounded: ScenarioResult = {
      scenario: "seed",
      n: 1_000,
      delayMs: 10,
      runs: [],
      summary: null,
      lowerBoundMs: 10_000,
    };
    const results = [
      bounded,
      result("aws-sample", 1_000, 10, 400),
      result("ours-sns", 1_000, 10, 200),
      result("ours-broadcast", 1_000, 10, 250),
    ];
    // Act
    const goals = judgeGoals(results, 10);
    // Assess
    expect(goals.map((g) => g.status)).toEqual(["not measured", "met", "not measured"]);
    expect(goals[1]?.measured).toContain("40.00x faster than the sequential loop");
  });
});
