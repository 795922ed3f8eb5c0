import { setTimeout as sleep } from "node:timers/promises";

/** Waits this long at most for something a test expects to happen (a bound, not a timing assertion). */
export const WAIT_MS = 15_000;

/** Polls `check` until it returns true, or fails after `waitMs` (default {@link WAIT_MS}). */
export async function eventually(
  what: string,
  check: () => Promise<boolean> | boolean,
  waitMs = WAIT_MS,
): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await sleep(50);
  }
}
