import { describe, expect, it } from "vitest";
import { accountRun, cpuMsBetween, median, percentile } from "../../util/bench/stats.js";

describe("percentile", () => {
  it("uses the nearest rank, so every answer is a measured value", () => {
    // Prepare
    const values = [5, 1, 4, 2, 3, 6, 7, 8, 9, 10];
    // Act
    const [p0, p50, p90, p99, p100] = [0, 50, 90, 99, 100].map((p) => percentile(values, p));
    // Assess
    expect([p0, p50, p90, p99, p100]).toEqual([1, 5, 9, 10, 10]);
  });

  it("rejects an empty list and a percentile out of range", () => {
    // Prepare
    const values = [1, 2];
    // Act
    const empty = () => percentile([], 50);
    const over = () => percentile(values, 101);
    const nan = () => percentile(values, Number.NaN);
    // Assess
    expect(empty).toThrow(RangeError);
    expect(over).toThrow(/0..100/);
    expect(nan).toThrow(RangeError);
  });

  it("does not reorder the caller's list", () => {
    // Prepare
    const values = [3, 1, 2];
    // Act
    percentile(values, 50);
    // Assess
    expect(values).toEqual([3, 1, 2]);
  });
});

describe("median", () => {
  it("takes the middle value, or the mean of the two middle values", () => {
    // Prepare
    const odd = [9, 1, 5];
    const even = [4, 1, 3, 2];
    // Act
    const results = [median(odd), median(even)];
    // Assess
    expect(results).toEqual([5, 2.5]);
    expect(() => median([])).toThrow(RangeError);
  });
});

describe("accountRun", () => {
  it("measures latency from the publish instant over every socket of every process", () => {
    // Prepare
    const t0 = 1_000;
    const reports = [
      { counts: [1, 1], firstAt: [1_010, 1_020] },
      { counts: [1, 1, 1], firstAt: [1_030, 1_040, 1_100] },
    ];
    // Act
    const run = accountRun(reports, t0);
    // Assess
    expect(run.publishToLastMs).toBe(100);
    expect(run.latencyMs).toEqual({ p50: 30, p99: 100, max: 100 });
    expect(run.deliveriesPerSec).toBe(50);
    expect(run.delivery).toEqual({ expected: 5, received: 5, missing: 0, duplicated: 0, exactlyOnce: true });
  });

  it("fails exactly-once on a missing and on a duplicated receipt, and leaves the missing out of latencies", () => {
    // Prepare
    const reports = [{ counts: [2, 0, 1], firstAt: [5, -1, 15] }];
    // Act
    const run = accountRun(reports, 0);
    // Assess
    expect(run.delivery).toEqual({ expected: 3, received: 2, missing: 1, duplicated: 1, exactlyOnce: false });
    expect(run.latencyMs.max).toBe(15);
  });

  it("reports NaN times and no throughput when nobody received the message", () => {
    // Prepare
    const reports = [{ counts: [0, 0], firstAt: [-1, -1] }];
    // Act
    const run = accountRun(reports, 0);
    // Assess
    expect(run.publishToLastMs).toBeNaN();
    expect(run.deliveriesPerSec).toBe(0);
    expect(run.delivery.exactlyOnce).toBe(false);
  });

  it("rejects a report whose arrays disagree", () => {
    // Prepare
    const reports = [{ counts: [1, 1], firstAt: [1] }];
    // Act
    const account = () => accountRun(reports, 0);
    // Assess
    expect(account).toThrow(/different lengths/);
  });
});

describe("cpuMsBetween", () => {
  it("adds user and system time between two readings", () => {
    // Prepare
    const before = { cpuUserMicros: 1_000, cpuSystemMicros: 500, maxRssBytes: 1 };
    const after = { cpuUserMicros: 4_000, cpuSystemMicros: 1_500, maxRssBytes: 2 };
    // Act
    const ms = cpuMsBetween(before, after);
    // Assess
    expect(ms).toBe(4);
  });
});
