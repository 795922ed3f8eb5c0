import { setTimeout as sleep } from "node:timers/promises";
import { ReceiveMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import type { LocalStackOptions } from "../../util/local-stack/index.js";
import { midFanout, startSlowFanout, WAVE } from "../support/slow-fanout.js";
import { readLog, type TestStack, type TestStacks, useStacks } from "../support/stack.js";
import { eventually } from "../support/wait.js";
import { broadcastCounts, broadcastTotal, type Client, connectMany } from "../support/ws-client.js";

/**
 * A shard whose worker is killed in the middle, and what its redelivery does. One shard (FANOUT_SHARDS 1) of a
 * fan-out made large by a low inline limit, sent in waves of 5 with every @connections call held 1 s, so that the
 * kill comes when 10 of the 20 clients have it (the first wave delivered, the second held in the gateway) and the
 * rest have not. The queue hides a received shard for `shardVisibilityTimeoutSeconds`: that is when it comes back.
 */
const CLIENTS = 20;
const LATE = 5;

/** A slow fan-out that goes through one shard (more than 2 recipients), its redeliveries judged by `maxAgeSeconds`. */
function startSlowShard(stacks: TestStacks, options: LocalStackOptions, maxAgeSeconds: number) {
  const lambdaEnv = {
    FANOUT_INLINE_MAX: "2",
    FANOUT_SHARDS: "1",
    FANOUT_SHARD_MAX_AGE_SECONDS: String(maxAgeSeconds),
  };
  return startSlowFanout(stacks, { ...options, lambdaEnv }, CLIENTS);
}

/** Broadcasts `message`, kills the environment once the first wave arrived, and lets later calls through at once. */
async function killMidShard(stack: TestStack, clients: Client[], message: string): Promise<number> {
  const sentAt = Date.now();
  clients[0]?.send({ action: "broadcast", message });
  await midFanout(() => broadcastTotal(clients, message));
  for (const pid of stack.lambda.pids()) process.kill(pid, "SIGKILL");
  stack.gateway.setManagementDelayMs(0);
  await eventually("the held wave delivered", () => broadcastTotal(clients, message) >= 2 * WAVE);
  return sentAt;
}

/** The shard summaries of the fan-out, by receive. */
async function shardSummaries(stack: TestStack): Promise<Array<Record<string, unknown>>> {
  const lines = await readLog(stack.outputs.lambda_log_file);
  return lines.filter((line) => line.message === "fan-out done" && line.shard !== undefined);
}

describe("faults: a shard job whose worker was killed comes back late", () => {
  const stacks = useStacks();

  it("within FANOUT_SHARD_MAX_AGE_SECONDS it replays to the audience of the dispatch: the 10 reached get it twice, the 10 others once, 5 clients connected later never", async () => {
    // Prepare: redelivered 8 s after its receive, within the 60 s bound
    const { stack, clients } = await startSlowShard(stacks, { shardVisibilityTimeoutSeconds: 8 }, 60);

    // Act: the late clients connect 5 s after the broadcast (past the 4 s the audience boundary can admit),
    // before the shard comes back
    const sentAt = await killMidShard(stack, clients, "replayed");
    await sleep(Math.max(0, sentAt + 5000 - Date.now()));
    const late = stacks.trackAll(await connectMany(stack.tokenUrl(), LATE));
    await eventually(
      "the redelivered shard's summary",
      async () => (await shardSummaries(stack)).length === 1,
      20_000,
    );
    await Promise.all([...clients, ...late].map((client) => client.roundTrip()));

    // Assess
    expect(broadcastCounts(clients, "replayed").sort()).toEqual([...Array(10).fill(1), ...Array(10).fill(2)]);
    expect(broadcastCounts(late, "replayed")).toEqual(Array(LATE).fill(0));
    expect(await shardSummaries(stack)).toMatchObject([
      { receiveCount: 2, recipients: CLIENTS, delivered: CLIENTS },
    ]);
  });

  it("past it, the job goes to the shard dead-letter queue with its reason instead: the 10 not reached never get it late", async () => {
    // Prepare: redelivered 3 s after its receive, past a 1 s bound
    const { stack, clients } = await startSlowShard(stacks, { shardVisibilityTimeoutSeconds: 3 }, 1);
    const sqs = stacks.track(
      new SQSClient({
        endpoint: stack.outputs.sqs_endpoint,
        region: stack.outputs.region,
        credentials: { accessKeyId: "test", secretAccessKey: "test" },
      }),
    );

    // Act
    await killMidShard(stack, clients, "set aside");
    await eventually(
      "the redelivery set aside",
      async () =>
        (await readLog(stack.outputs.lambda_log_file)).some(
          (line) => line.message === "shard job too late to replay: set aside in the dead-letter queue",
        ),
      20_000,
    );
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: stack.outputs.shard_dead_letter_queue_url,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ["All"],
        WaitTimeSeconds: 1,
      }),
    );
    await Promise.all(clients.map((client) => client.roundTrip()));

    // Assess
    expect(broadcastCounts(clients, "set aside").sort()).toEqual([
      ...Array(10).fill(0),
      ...Array(10).fill(1),
    ]);
    expect(await shardSummaries(stack)).toEqual([]);
    expect(Messages).toHaveLength(1);
    const [setAside] = Messages;
    expect(JSON.parse(setAside?.Body ?? "")).toMatchObject({ v: 1, shard: { index: 0, count: 1 } });
    expect(setAside?.MessageAttributes?.reason?.StringValue).toMatch(
      /^redelivered \(receive 2\) \d+\.\d s after its dispatch, past the 1 s bound \(FANOUT_SHARD_MAX_AGE_SECONDS\): not replayed$/,
    );
  });
});
