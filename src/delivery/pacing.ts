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
 * Allows `ratePerSecond` calls a second, evenly spaced, with a burst of at most `burst` calls after an idle spell
 * (so a shard starts at once but never runs ahead of its rate by more than the burst). Each call takes the next
 * free slot synchronously, so concurrent workers never share one.
 * @param ratePerSecond - calls a second; 0 or less (or not finite) means unpaced
 * @param burst - calls allowed at once after idling; default one tenth of a second's worth, at least 1
 * @param clock - time source and timer
 * @returns the pace function, or undefined when unpaced
 */
export function createPace(
  ratePerSecond: number,
  burst = Math.max(1, Math.floor(ratePerSecond / 10)),
  clock: PaceClock = realClock,
): Pace | undefined {
  if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) return undefined;
  const interval = 1000 / ratePerSecond;
  const slack = interval * Math.max(0, burst - 1);
  let next = Number.NEGATIVE_INFINITY;
  return async () => {
    const now = clock.now();
    // An idle pacer may lend at most `burst` slots from the past, never more.
    const slot = Math.max(next, now - slack);
    next = slot + interval;
    const wait = slot - now;
    if (wait > 0) await clock.sleep(wait);
  };
}
