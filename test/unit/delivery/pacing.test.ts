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

describe("createPace in ticks", () => {
  it("wakes the calls of one tick together at its end, never before their slots", async () => {
    // Prepare: 100 a second (slots 10 ms apart), ticks of 25 ms, no burst beyond a tick's worth; 8 callers at t = 0
    const clock = {
      now: () => 0,
      sleeps: [] as number[],
      sleep: async (ms: number) => void clock.sleeps.push(ms),
    };
    const pace = createPace(100, 1, clock, 25);
    // Act
    await Promise.all(Array.from({ length: 8 }, () => pace?.()));
    // Assess: an idle pacer lends a tick's worth (slots -25, -15, -5 go at once); slots 5, 15, 25 wake at the end of
    // the first tick, 35 and 45 at the end of the second
    expect(clock.sleeps).toEqual([25, 25, 25, 50, 50]);
  });

  it("keeps the rate: one caller making 1,000 calls at 500 a second ends within a tick of 1,998 ms, never later", async () => {
    // Prepare
    const times: number[] = [];
    for (const tick of [0, 20, 50]) {
      const clock = fakeClock();
      const pace = createPace(500, 1, clock, tick);
      // Act: one caller after the other
      for (let call = 0; call < 1000; call++) await pace?.();
      times.push(clock.time);
    }
    // Assess: slots 2 ms apart; ticks start a tick's worth early (the lent slots) and round up to the tick's end
    expect(times).toEqual([1998, 1980, 1950]);
  });
});
