import { setTimeout as sleep } from "node:timers/promises";
import { STOPPED } from "./execution-environment.js";
import type { LambdaRuntime } from "./runtime.js";

/**
 * Invokes the function asynchronously, as SNS does: Lambda queues the event (never throttled away) and retries a
 * failed run after each of `retryDelaysMs` (twice on AWS, about 1 and 2 minutes later). A run cut off by a stop is
 * not retried.
 * @param runtime - the function
 * @param event - the event
 * @param retryDelaysMs - the wait before each retry
 */
export async function invokeAsync(
  runtime: LambdaRuntime,
  event: unknown,
  retryDelaysMs: readonly number[],
): Promise<void> {
  for (const delay of [0, ...retryDelaysMs]) {
    if (delay > 0) await sleep(delay);
    const outcome = await runtime.invoke(event, { async: true });
    if (outcome.status === "ok") return;
    if (outcome.status === "error" && outcome.error.errorType === STOPPED) return;
  }
}
