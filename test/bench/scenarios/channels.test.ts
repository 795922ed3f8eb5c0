import { describe, expect, it } from "vitest";
import { checkChannel } from "../../../src/protocol/requests.js";
import type { RunResult } from "../../../util/bench/model.js";
import { benchChannel, channelResults, renderChannelLines } from "../../../util/bench/scenarios/channels.js";
import { runOf } from "../support/runs.js";

/** A run to 100 clients, exactly once unless told. */
function run(ms: number, exactlyOnce = true): RunResult {
  return runOf(ms, { duplicated: exactlyOnce ? 0 : 1, cpuMs: 5, rssBytes: 2 ** 20 });
}

describe("the channel scenario", () => {
  it("pairs each publish with the broadcast to K of the same network model and takes the ratio of medians", () => {
    // Prepare
    const publishes = [
      { n: 1000, delayMs: 0, runs: [run(30), run(10), run(20)] },
      { n: 10000, delayMs: 0, runs: [run(22)] },
      { n: 10000, delayMs: 10, runs: [run(150)] },
    ];
    const broadcasts = new Map([
      [0, [run(20)]],
      [10, [run(100)]],
    ]);
    // Act
    const results = channelResults(publishes, broadcasts, 100);
    // Assess
    expect(results.map((r) => [r.n, r.delayMs, r.ratio])).toEqual([
      [1000, 0, 1],
      [10000, 0, 1.1],
      [10000, 10, 1.5],
    ]);
    expect(results.every((r) => r.k === 100)).toBe(true);
  });

  it("has no ratio without a baseline, and renders nothing for results measured before the scenario", () => {
    // Prepare / Act
    const [lonely] = channelResults([{ n: 100, delayMs: 0, runs: [run(5)] }], new Map(), 10);
    // Assess
    expect(lonely?.ratio).toBeNull();
    expect(renderChannelLines(undefined)).toEqual([]);
    expect(renderChannelLines(lonely ? [lonely] : [])[0]).toContain("ratio **n/a**");
  });

  it("renders one line per N and network model with both times and the ratio", () => {
    // Prepare
    const results = channelResults(
      [{ n: 10000, delayMs: 10, runs: [run(150)] }],
      new Map([[10, [run(100)]]]),
      100,
    );
    // Act
    const [line] = renderChannelLines(results);
    // Assess
    expect(line).toBe(
      "- channel (10 ms per @connections call): publish to K = 100 members among N = 10,000 connections 150 ms; " +
        "broadcast to K connections 100 ms; ratio **1.50** (should not grow with N: a publish lists only the " +
        "channel's members)",
    );
  });

  it("publishes to a valid channel name", () => {
    // Prepare / Act
    const checked = checkChannel(benchChannel(100));
    // Assess
    expect(checked).toEqual({ ok: true, value: "bench/members-100" });
  });
});
