import { describe, expect, it } from "vitest";
import { checkChannel } from "../../../src/protocol/requests.js";
import type { RunResult } from "../../../util/bench/model.js";
import { HISTORY_CHANNEL, historyResult, renderHistoryLines } from "../../../util/bench/scenarios/history.js";
import { runOf } from "../support/runs.js";

/** A run to K clients, exactly once unless told. */
function run(ms: number, cpuMs: number, exactlyOnce = true): RunResult {
  return runOf(ms, { duplicated: exactlyOnce ? 0 : 1, cpuMs, rssBytes: 2 ** 20 });
}

describe("the history scenario", () => {
  it("pairs a channel's runs with history off and on: the added time and the ratio of the medians", () => {
    // Prepare
    const off = [run(40, 30), run(20, 10), run(30, 20)];
    const on = [run(45, 32), run(25, 12), run(35, 22)];
    // Act
    const result = historyResult(100, off, on);
    // Assess
    expect(result).toMatchObject({ k: 100, addedMs: 5 });
    expect(result.ratio).toBeCloseTo(35 / 30, 10);
    expect(result.on.summary?.exactlyOnce).toBe(true);
  });

  it("renders one line per channel size, with both times, the CPU, the added time and the ratio", () => {
    // Prepare
    const results = [historyResult(10_000, [run(2000, 900)], [run(2040, 905)])];
    // Act
    const lines = renderHistoryLines(results);
    // Assess
    expect(lines).toEqual([
      "- history: publish to a channel of K = 10,000, history off 2,000 ms (Lambda CPU 900 ms), on 2,040 ms " +
        "(905 ms): added **+40 ms**, ratio 1.02 (loopback; the write of the message at its position comes before " +
        "the fan-out)",
    ]);
    expect(renderHistoryLines(undefined)).toEqual([]);
  });

  it("has no added time without both sides, and publishes to a valid channel", () => {
    // Prepare / Act
    const lonely = historyResult(10, [], [run(5, 1)]);
    // Assess
    expect(lonely).toMatchObject({ addedMs: null, ratio: null });
    expect(renderHistoryLines([lonely])[0]).toContain("history off n/a");
    expect(checkChannel(HISTORY_CHANNEL).ok).toBe(true);
  });
});
