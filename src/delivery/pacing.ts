/**
 * Spaces calls out to a fixed rate, so that the shards of a fan-out together stay under their share of the
 * account's @connections throttle (10,000 requests a second, shared with every API of the account) instead of
 * bursting into 429s and spending retries.
 */

/** Waits for the caller's turn; resolves at once when the rate leaves room. */
export type Pace = () => Promise<void>;

/** Clock and timer of {@link createPace}; replaceable in tests. */
export interface PaceClock {
  /** Milliseconds, monotonic. */
  now(): number;
  /** Resolves after `ms` milliseconds. */
  sleep(ms: number): Promise<void>;
}

const realClock: PaceClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * How often a paced shard wakes: calls whose slots fall in one tick go out together at its end. Sends spaced evenly
 * 1.8 ms apart cost each its own wake-up of the event loop and its own socket round trip, about three times the CPU
 * of the same sends made together (measured: a bare keep-alive HTTP client, 0.11 against 0.034 ms a send; `npm run
 * bench`'s profile of the paced shard); in 20 ms ticks a shard at 562 a second sends 11 at a time, far inside the
 * account throttle's burst of half a second's worth.
 */
export const PACE_TICK_MS = 20;

/**
 * Allows `ratePerSecond` calls a second, evenly spaced, with a burst of at most `burst` calls after an idle spell
 * (so a shard starts at once but never runs ahead of its rate by more than the burst). Each call takes the next
 * free slot synchronously, so concurrent workers never share one. With `tickMs`, a call waits past its slot to the
 * end of its tick (multiples of `tickMs` on the clock), so the calls of one tick are made together: never earlier
 * than their slots, so the rate holds, at most one tick later; and a caller may catch up a tick's worth of slots, so
 * one caller alone still keeps the rate.
 * @param ratePerSecond - calls a second; 0 or less (or not finite) means unpaced
 * @param burst - calls allowed at once after idling; default one tenth of a second's worth, at least 1
 * @param clock - time source and timer
 * @param tickMs - wake-ups on multiples of this many ms; 0 wakes each call at its own slot
 * @returns the pace function, or undefined when unpaced
 */
export function createPace(
  ratePerSecond: number,
  burst = Math.max(1, Math.floor(ratePerSecond / 10)),
  clock: PaceClock = realClock,
  tickMs = 0,
): Pace | undefined {
  if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) return undefined;
  const interval = 1000 / ratePerSecond;
  // Waking at a tick's end leaves a caller up to a tick behind its next slot: it may catch up that far.
  const slack = Math.max(interval * Math.max(0, burst - 1), tickMs);
  let next = Number.NEGATIVE_INFINITY;
  return async () => {
    const now = clock.now();
    // An idle pacer may lend at most `burst` slots from the past, never more.
    const slot = Math.max(next, now - slack);
    next = slot + interval;
    const wakeAt = tickMs > 0 ? Math.ceil(slot / tickMs) * tickMs : slot;
    const wait = wakeAt - now;
    if (wait > 0) await clock.sleep(wait);
  };
}
