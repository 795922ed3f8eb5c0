import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backoffDelay } from "../../client/src/index.js";

/** Property-based tests (fast-check) of the reconnect backoff, over every attempt count, base, cap and draw. */
describe("backoffDelay, for any attempt, base, cap and random draw", () => {
  const draw = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
  const attempt = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 1_000_000 }));
  const ms = fc.integer({ min: 1, max: 3_600_000 });

  it("stays in [0, min(cap, base * 2^attempt)]: never negative, never past the cap, finite however many attempts", () => {
    fc.assert(
      fc.property(attempt, ms, ms, draw, (n, base, cap, r) => {
        // Act
        const delay = backoffDelay(n, base, cap, () => r);

        // Assess
        expect(Number.isFinite(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(Math.min(cap, base * 2 ** n));
      }),
      { numRuns: 2000 },
    );
  });

  it("grows with the draw and with the attempt count (for the same draw)", () => {
    fc.assert(
      fc.property(attempt, ms, ms, draw, draw, (n, base, cap, a, b) => {
        // Act
        const [low, high] = a <= b ? [a, b] : [b, a];
        const byDraw = [backoffDelay(n, base, cap, () => low), backoffDelay(n, base, cap, () => high)];
        const byAttempt = [backoffDelay(n, base, cap, () => a), backoffDelay(n + 1, base, cap, () => a)];

        // Assess
        expect(byDraw[0]).toBeLessThanOrEqual(byDraw[1] as number);
        expect(byAttempt[0]).toBeLessThanOrEqual(byAttempt[1] as number);
      }),
      { numRuns: 2000 },
    );
  });
});
