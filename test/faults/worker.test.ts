import { PublishCommand } from "@aws-sdk/client-sns";
import { describe, expect, it } from "vitest";
import { midFanout, startSlowFanout } from "../support/slow-fanout.js";
import { readLog, s3Client, snsClient, storedConnectionIds, useStacks } from "../support/stack.js";
import { eventually } from "../support/wait.js";
import { broadcastCounts, broadcastTotal, isGatewayError } from "../support/ws-client.js";

/**
 * A fan-out made slow enough to be cut in the middle, the same way every time: 20 clients, 5 sends in flight
 * (FANOUT_CONCURRENCY) and every @connections call held 1 s in the gateway, so the function sends in four waves of
 * five, one a second. The fault comes 300 ms after the first wave arrived: the second wave has reached the gateway
 * (the function sent it on the first wave's answers) and is being held there, the third is not sent yet.
 *
 * Why phase one saw a SIGSTOPped broadcast reach 20 of 20: with the default FANOUT_CONCURRENCY (100) all 20 POSTs
 * were in the gateway before the stop, and a POST the gateway has received is delivered whether or not its caller is
 * still there to read the answer (as with API Gateway). Only sends not yet made are lost.
 */
const CLIENTS = 20;

describe("faults: a worker stopped or killed in the middle of a fan-out", () => {
  const stacks = useStacks();
  /** Kills a worker this test stopped, after the test, if the runtime has not already. */
  const killAfterwards = (pid: number) =>
    stacks.track({
      close: () => {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // Already gone (the runtime killed it on its timeout).
        }
      },
    });

  it("SIGSTOP mid broadcast: the 10 sends made arrive once, 10 never; the sender gets 504, the worker is replaced, keys stay", async () => {
    // Prepare: the integration gives up at 4 s, the function's timeout (which kills the stopped worker) is 6 s.
    const { stack, clients: all } = await startSlowFanout(
      stacks,
      { integrationTimeoutMs: 4000, lambdaTimeoutMs: 6000 },
      CLIENTS,
    );
    const [sender] = all;
    const [pid] = stack.lambda.pids();

    // Act
    sender?.send({ action: "broadcast", message: "stopped" });
    await midFanout(() => broadcastTotal(all, "stopped"));
    process.kill(pid as number, "SIGSTOP");
    killAfterwards(pid as number);
    await eventually("the sender told", () => sender?.received.some(isGatewayError) === true);
    await eventually("the stopped worker timed out", async () =>
      (await readLog(stack.outputs.lambda_log_file)).some(
        (r) => r.message === "Task timed out after 6.00 seconds",
      ),
    );
    stack.gateway.setManagementDelayMs(0);
    sender?.send({ action: "broadcast", message: "after" });
    await eventually("the next broadcast reaches everyone", () => broadcastTotal(all, "after") === CLIENTS);

    // Assess
    expect(sender?.received.find(isGatewayError)).toMatchObject({ message: "Endpoint request timed out" });
    expect(broadcastCounts(all, "stopped").sort()).toEqual([...Array(10).fill(0), ...Array(10).fill(1)]);
    expect(broadcastCounts(all, "after")).toEqual(Array(CLIENTS).fill(1));
    expect(stack.lambda.pids()).not.toContain(pid);
    const access = await readLog(stack.outputs.access_log_file);
    expect(access.filter((r) => r.routeKey === "broadcast").map((r) => r.status)).toEqual(["504", "200"]);
    expect(await storedConnectionIds(stack, s3Client(stack))).toHaveLength(CLIENTS);
  });

  it("SIGKILL mid SNS fan-out: Lambda's retry re-runs it whole, so the 10 the first run reached get it twice", async () => {
    // Prepare
    const { stack, clients: all } = await startSlowFanout(stacks, {}, CLIENTS);
    const sns = snsClient(stack);
    const message = JSON.stringify({ message: "sns-killed" });

    // Act
    await sns.send(new PublishCommand({ TopicArn: stack.outputs.input_sns_topic_arn, Message: message }));
    await midFanout(() => broadcastTotal(all, "sns-killed"));
    for (const pid of stack.lambda.pids()) process.kill(pid, "SIGKILL");
    await eventually("the retry reached everyone", () =>
      all.every((c) => broadcastCounts([c], "sns-killed")[0] !== 0),
    );
    await eventually("the retry finished", async () =>
      (await readLog(stack.outputs.lambda_log_file)).some((r) => r.message === "fan-out done"),
    );
    sns.destroy();

    // Assess: 10 + 20 deliveries, each client at least once, the first wave twice.
    expect(broadcastCounts(all, "sns-killed").sort()).toEqual([...Array(10).fill(1), ...Array(10).fill(2)]);
    const lambda = await readLog(stack.outputs.lambda_log_file);
    const exits = lambda.filter(
      (r) => String(r.message).startsWith("Invoke Error") && r.errorType === "Runtime.ExitError",
    );
    expect(exits).toHaveLength(1);
    expect(await storedConnectionIds(stack, s3Client(stack))).toHaveLength(CLIENTS);
  });
});
