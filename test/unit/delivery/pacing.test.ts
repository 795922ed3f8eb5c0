import { describe, expect, it } from "vitest";
import { createPace, type PaceClock } from "../../../src/delivery/pacing.js";

/** A clock that advances only when slept on. */
function fakeClock(): PaceClock & { time: number; sleeps: number[] } {
  const clock = {
    time: 0,
    sleeps: [] as number[],
    now: () => clock.time,
    sleep: async (ms: number) => {
      clock.sleeps.push(ms);
      clock.time += ms;
    },
  };
  return clock;
}

describe("createPace", () => {
  it("is unpaced at rate 0", () => {
    // Prepare / Act
    const pace = createPace(0);
    // Assess
    expect(pace).toBeUndefined();
  });

  it("lets the burst through at once, then spaces calls 1/rate apart", async () => {
    // Prepare
    const clock = fakeClock();
    const pace = createPace(100, 3, clock);
    // Act: 6 calls in a row by one caller
    for (let call = 0; call < 6; call++) await pace?.();
    // Assess: 3 free, then 10 ms apart
    expect(clock.sleeps).toEqual([10, 10, 10]);
    expect(clock.time).toBe(30);
  });

  it("gives concurrent callers distinct slots: N calls at once end N/rate later", async () => {
    // Prepare
    const clock = {
      now: () => 0,
      sleeps: [] as number[],
      sleep: async (ms: number) => void clock.sleeps.push(ms),
    };
    const pace = createPace(1000, 1, clock);
    // Act
    await Promise.all(Array.from({ length: 5 }, () => pace?.()));
    // Assess
    expect(clock.sleeps).toEqual([1, 2, 3, 4]);
  });
});
