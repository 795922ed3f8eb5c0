import { describe, expect, it } from "vitest";
import { rateLimiter } from "../../../util/local-stack/gateway/management.js";

/** Calls the limiter `count` times at once and returns how many were over the limit. */
function burst(over: () => boolean, count: number): number {
  return Array.from({ length: count }, over).filter(Boolean).length;
}

describe("the local @connections throttle (--management-rate-limit)", () => {
  it("lets half a second's worth through at once, as the account's burst of 5,000 on 10,000 a second", () => {
    // Prepare
    let now = 0;
    const over = rateLimiter(
      () => 1000,
      () => now,
    );
    // Act
    const first = burst(over, 600);
    now = 100;
    const afterTenthOfASecond = burst(over, 150);
    // Assess: 500 of 600 at once; 100 ms later 100 tokens more, of 150 asked for
    expect(first).toBe(100);
    expect(afterTenthOfASecond).toBe(50);
  });

  it("keeps up with a steady rate just under the limit, even when requests arrive in clumps", () => {
    // Prepare: 900 a second, delivered as 90 requests every 100 ms, with a clump of two late tenths every second
    let now = 0;
    const over = rateLimiter(
      () => 1000,
      () => now,
    );
    let refused = 0;
    // Act
    for (let tenth = 0; tenth < 100; tenth++) {
      now = tenth * 100;
      if (tenth % 10 === 8) continue;
      refused += burst(over, tenth % 10 === 9 ? 180 : 90);
    }
    // Assess
    expect(refused).toBe(0);
  });

  it("refuses past the rate over time, changes with the limit, and never refuses at 0 (no limit)", () => {
    // Prepare
    let now = 0;
    let limit = 10;
    const over = rateLimiter(
      () => limit,
      () => now,
    );
    // Act
    const first = burst(over, 10);
    now = 1000;
    const second = burst(over, 10);
    limit = 0;
    const unlimited = burst(over, 10_000);
    // Assess: a bucket of 5, refilled to 5 (its capacity) after a second
    expect(first).toBe(5);
    expect(second).toBe(5);
    expect(unlimited).toBe(0);
  });
});
