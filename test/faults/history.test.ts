import { describe, expect, it } from "vitest";
import {
  type ChannelMessage,
  createClient,
  type Recovery,
  type SocketConstructor,
} from "../../client/src/index.js";
import { midFanout, WAVE } from "../support/slow-fanout.js";
import { readLog, useStacks } from "../support/stack.js";
import { eventually } from "../support/wait.js";
import { Client, isGatewayError } from "../support/ws-client.js";

/** The platform WebSocket (Node 24's global), as a browser page would use it. */
const PlatformWebSocket = (globalThis as unknown as { WebSocket: SocketConstructor }).WebSocket;

/**
 * A fan-out cut in the middle, as in worker.test.ts: 20 subscribers, 5 sends in flight and every @connections call
 * held 1 s, so the function sends in waves of five; the worker is killed 300 ms after the first wave arrived, when
 * the second is held in the gateway (it arrives) and the third is not sent yet (it never will be).
 */
const SUBSCRIBERS = 20;

describe("faults: a worker killed mid fan-out on a channel that keeps history", () => {
  const stacks = useStacks();

  it("SIGKILL mid publish: the 10 subscribers it missed see the gap at the next message and fill it from history", async () => {
    // Prepare: one environment, 20 library clients subscribed, and a publisher outside the channel
    const stack = await stacks.start({
      lambdaConcurrency: 1,
      lambdaEnv: { FANOUT_CONCURRENCY: String(WAVE) },
    });
    const channel = "fault/killed";
    const subscribers = Array.from({ length: SUBSCRIBERS }, () => {
      const client = createClient({ url: stack.tokenUrl(), WebSocket: PlatformWebSocket, gapWaitMs: 300 });
      const messages: ChannelMessage[] = [];
      const recoveries: Recovery[] = [];
      client.on("message", (m) => messages.push(m));
      client.on("recovery", (r) => recoveries.push(r));
      return { client: stacks.track(client), messages, recoveries };
    });
    for (const { client } of subscribers) await client.subscribe(channel);
    const publisher = stacks.track(await Client.connect(stack.tokenUrl()));
    const publish = (n: number) => publisher.send({ action: "publish", channel, message: n, id: `m${n}` });
    const got = (n: number) => subscribers.filter((s) => s.messages.some((m) => m.message === n)).length;
    publish(1);
    await eventually("the first message everywhere", () => got(1) === SUBSCRIBERS);

    // Act: the second message's fan-out is killed after its second wave reached the gateway
    stack.gateway.setManagementDelayMs(1000);
    publish(2);
    await midFanout(() => got(2));
    for (const pid of stack.lambda.pids()) process.kill(pid, "SIGKILL");
    await eventually("the publisher told", () => publisher.received.some(isGatewayError));
    await eventually("the waves in the gateway delivered", () => got(2) === 2 * WAVE);
    const missedBeforeRecovery = SUBSCRIBERS - got(2);
    stack.gateway.setManagementDelayMs(0);
    publish(3);
    await eventually("every subscriber has 1, 2 and 3", () =>
      subscribers.every((s) => s.messages.length === 3),
    );

    // Assess: each subscriber got every message once and in order; those that missed 2 recovered it, completely
    expect(missedBeforeRecovery).toBe(SUBSCRIBERS - 2 * WAVE);
    for (const { messages } of subscribers) {
      expect(messages.map((m) => [m.message, m.offset])).toEqual([
        [1, 1],
        [2, 2],
        [3, 3],
      ]);
    }
    const recovered = subscribers.filter((s) => s.recoveries.length > 0);
    expect(recovered).toHaveLength(SUBSCRIBERS - 2 * WAVE);
    for (const { recoveries } of recovered) expect(recoveries).toEqual([{ channel, complete: true }]);
    // Each recovery sent 2 and 3 (3 had arrived live: its offset told the repeat). The function logs a recovery
    // after its `subscribed` is sent: the lines may still be on their way.
    const recoveryLines = async () =>
      (await readLog(stack.outputs.lambda_log_file)).filter(
        (r) => r.message === "subscribed" && r.recovered === 2,
      );
    await eventually("the recoveries logged", async () => (await recoveryLines()).length >= recovered.length);
    expect(await recoveryLines()).toHaveLength(SUBSCRIBERS - 2 * WAVE);
  });
});
