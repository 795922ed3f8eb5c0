import { describe, expect, it } from "vitest";
import { readLog, s3Client, storedConnectionIds, useStacks } from "../support/stack.js";
import { eventually } from "../support/wait.js";
import { broadcastTotal, Client, connectMany, isGatewayError } from "../support/ws-client.js";

/** Faults of the Lambda pool: saturation, a worker killed or stopped mid fan-out. Every count is exact. */
describe("faults: the Lambda pool", () => {
  const stacks = useStacks();

  it("does not time out broadcasts that only waited for a free environment (one environment, 10 senders)", async () => {
    // Prepare: each fan-out takes ~400 ms; the 10th waits ~4 s, past the 2 s integration timeout if the wait counted.
    const stack = await stacks.start({ lambdaConcurrency: 1, integrationTimeoutMs: 2000 });
    const all = await connectMany(stack.tokenUrl(), 10);
    stacks.trackAll(all);
    stack.gateway.setManagementDelayMs(400);

    // Act
    for (const [i, c] of all.entries()) c.send({ action: "broadcast", message: `m${i}` });
    await eventually("100 deliveries", () => all.every((c) => c.received.length >= 10));

    // Assess
    expect(all.map((c) => c.received.filter(isGatewayError).length)).toEqual(Array(10).fill(0));
    for (let i = 0; i < 10; i++) expect(broadcastTotal(all, `m${i}`)).toBe(10);
  });

  it("throttles like Lambda with --throttle: a sender past the limit gets 500 at once, the others deliver", async () => {
    // Prepare
    const stack = await stacks.start({ lambdaConcurrency: 1, lambdaThrottle: true });
    const all: Client[] = [];
    // One at a time: concurrent $connects would be throttled too.
    for (let i = 0; i < 10; i++) all.push(await Client.connect(stack.tokenUrl()));
    stacks.trackAll(all);
    stack.gateway.setManagementDelayMs(1000);

    // Act: all ten arrive within the first fan-out's second.
    for (const [i, c] of all.entries()) c.send({ action: "broadcast", message: `t${i}` });
    await eventually("every sender answered", () =>
      all.every((c, i) => c.received.some(isGatewayError) || broadcastTotal([c], `t${i}`) === 1),
    );

    // Assess
    const throttled = all.filter((c) => c.received.some(isGatewayError));
    expect(throttled).toHaveLength(9);
    expect(throttled[0]?.received.find(isGatewayError)).toMatchObject({ message: "Internal server error" });
    const sent = all.findIndex((c) => !c.received.some(isGatewayError));
    await eventually("the one accepted broadcast reaches all", () => broadcastTotal(all, `t${sent}`) === 10);
    expect(all.reduce((n, _, i) => n + broadcastTotal(all, `t${i}`), 0)).toBe(10);
  });

  it("a worker SIGKILLed mid fan-out: the POSTs it already sent arrive once (20 of 20), the sender gets 500, keys stay", async () => {
    // Prepare: one environment; every @connections call waits 1.5 s in the gateway, so all 20 POSTs are in flight
    // when the worker dies 500 ms in.
    const stack = await stacks.start({ lambdaConcurrency: 1 });
    const all = await connectMany(stack.tokenUrl(), 20);
    stacks.trackAll(all);
    await all[0]?.roundTrip();
    stack.gateway.setManagementDelayMs(1500);
    const kill = async (afterMs: number) => {
      await new Promise((r) => setTimeout(r, afterMs));
      for (const pid of stack.lambda.pids()) process.kill(pid, "SIGKILL");
    };

    // Act 1: a client broadcast.
    all[0]?.send({ action: "broadcast", message: "killed" });
    await kill(500);
    await eventually("sender told", () => all[0]?.received.some(isGatewayError) === true);
    await eventually("in-flight POSTs delivered", () => broadcastTotal(all, "killed") === 20);

    // Assess
    expect(all[0]?.received.find(isGatewayError)).toMatchObject({ message: "Internal server error" });
    expect(broadcastTotal(all, "killed")).toBe(20);
    expect(await storedConnectionIds(stack, s3Client(stack))).toHaveLength(20);
  });

  it("a configuration change mid fan-out: the busy environment finishes (6 of 6), later events run with the new variables", async () => {
    // Prepare: one environment busy with a fan-out (one @connections call at a time, each held 300 ms) when the
    // variables change.
    const stack = await stacks.start({ lambdaConcurrency: 1, lambdaEnv: { FANOUT_CONCURRENCY: "1" } });
    const all = await connectMany(stack.tokenUrl(), 6);
    stacks.trackAll(all);
    await all[0]?.roundTrip();
    const [before] = stack.lambda.pids();
    stack.gateway.setManagementDelayMs(300);

    // Act
    all[0]?.send({ action: "broadcast", message: "before" });
    await eventually("the fan-out under way", () => broadcastTotal(all, "before") > 0, 5_000);
    stack.lambda.updateEnvironment({ FANOUT_INLINE_MAX: "1", FANOUT_SHARDS: "2" });
    await eventually("the first broadcast everywhere", () => broadcastTotal(all, "before") === 6);
    all[1]?.send({ action: "broadcast", message: "after" });
    await eventually("the second broadcast everywhere", () => broadcastTotal(all, "after") === 6);

    // Assess: the first fan-out was not cut off, and the second ran in a fresh environment with 2 shards.
    await eventually("two shards done", async () => {
      const lines = await readLog(stack.outputs.lambda_log_file);
      return lines.filter((l) => l.message === "fan-out done" && l.shard !== undefined).length === 2;
    });
    const lines = await readLog(stack.outputs.lambda_log_file);
    const dispatches = lines.filter((l) => l.message === "fan-out dispatched");
    expect(dispatches.map((l) => l.mode)).toEqual(["inline", "sharded"]);
    expect(stack.lambda.pids()).not.toContain(before);
    expect(broadcastTotal(all, "before")).toBe(6);
    expect(broadcastTotal(all, "after")).toBe(6);
  });
});
