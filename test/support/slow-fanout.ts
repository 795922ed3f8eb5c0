/**
 * The fault tests' slow fan-out: one execution environment sends in waves of {@link WAVE} calls, and the gateway
 * holds each @connections call {@link HOLD_MS}, so that a fault can land after one wave has arrived and while the
 * next is held in the gateway.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { LocalStackOptions } from "../../util/local-stack/index.js";
import type { TestStacks } from "./stack.js";
import { eventually } from "./wait.js";
import { connectMany } from "./ws-client.js";

/** The fan-out's calls in flight (`FANOUT_CONCURRENCY`): one wave. */
export const WAVE = 5;

/** How long the gateway holds each @connections call. */
const HOLD_MS = 1000;

/**
 * A stack of one execution environment that fans out in waves, with `clients` tracked clients, warmed so that the
 * fault hits the fan-out and not a cold start, and the gateway holding every call from then on.
 * @param stacks - the test's stacks
 * @param options - the stack's options; its `lambdaEnv` is added to the wave's
 * @param clients - how many clients connect
 */
export async function startSlowFanout(stacks: TestStacks, options: LocalStackOptions = {}, clients = 20) {
  const stack = await stacks.start({
    lambdaConcurrency: 1,
    ...options,
    lambdaEnv: { FANOUT_CONCURRENCY: String(WAVE), ...options.lambdaEnv },
  });
  const connected = stacks.trackAll(await connectMany(stack.tokenUrl(), clients));
  await connected[0]?.roundTrip();
  stack.gateway.setManagementDelayMs(HOLD_MS);
  return { stack, clients: connected };
}

/**
 * Waits for the first wave to arrive, then 300 ms for the second to be held in the gateway.
 * @param delivered - how many clients have the message so far
 */
export async function midFanout(delivered: () => number): Promise<void> {
  await eventually("the first wave delivered", () => delivered() >= WAVE);
  await sleep(300);
}
