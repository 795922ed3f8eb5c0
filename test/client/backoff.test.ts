import { describe, expect, it } from "vitest";
import { backoffDelay } from "../../client/src/index.js";

describe("backoffDelay (full jitter)", () => {
  it("stays within [0, base * 2^attempt) at the extremes of the random source", () => {
    // Prepare
    const attempts = [0, 1, 2, 3, 4, 5];
    const almostOne = 1 - Number.EPSILON;

    // Act
    const lows = attempts.map((n) => backoffDelay(n, 100, 60_000, () => 0));
    const highs = attempts.map((n) => backoffDelay(n, 100, 60_000, () => almostOne));

    // Assess
    expect(lows).toEqual([0, 0, 0, 0, 0, 0]);
    for (const [i, n] of attempts.entries()) {
      expect(highs[i]).toBeLessThan(100 * 2 ** n);
      expect(highs[i]).toBeGreaterThan(100 * 2 ** n * 0.999);
    }
  });

  it("never exceeds the cap, however many attempts failed", () => {
    // Prepare
    const almostOne = 1 - Number.EPSILON;

    // Act
    const delays = [5, 6, 10, 30, 100, 2000].map((n) => backoffDelay(n, 1_000, 30_000, () => almostOne));

    // Assess
    for (const delay of delays) {
      expect(delay).toBeLessThan(30_000);
      expect(delay).toBeGreaterThan(29_999);
    }
    expect(backoffDelay(4, 1_000, 30_000, () => almostOne)).toBeLessThan(16_000);
  });

  it("spreads samples evenly over [0, min(cap, base * 2^n)) with Math.random", () => {
    // Prepare
    const samples = 20_000;
    const cases = [
      { attempt: 0, bound: 1_000 },
      { attempt: 3, bound: 8_000 },
      { attempt: 8, bound: 30_000 },
    ];

    for (const { attempt, bound } of cases) {
      // Act
      const delays = Array.from({ length: samples }, () => backoffDelay(attempt, 1_000, 30_000, Math.random));

      // Assess: all in range, and every tenth of the range holds about a tenth of the samples.
      const deciles = new Array<number>(10).fill(0);
      for (const delay of delays) {
        const decile = Math.floor((delay / bound) * 10);
        deciles[decile] = (deciles[decile] ?? 0) + 1;
      }
      expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...delays)).toBeLessThan(bound);
      expect(deciles).toHaveLength(10);
      for (const count of deciles) {
        expect(count / samples).toBeGreaterThan(0.08);
        expect(count / samples).toBeLessThan(0.12);
      }
    }
  });
});
