import { PublishCommand } from "@aws-sdk/client-sns";
import { describe, expect, it } from "vitest";
import {
  accessRecords,
  readLog,
  s3Client,
  snsClient,
  storedConnectionIds,
  useStacks,
} from "../support/stack.js";
import { eventually } from "../support/wait.js";
import {
  broadcastCounts,
  Client,
  connectMany,
  type HandshakeRefused,
  isBroadcastOf,
  isErrorFrame,
} from "../support/ws-client.js";

/** The store (the emulator's S3) answering 503 to everything for a while, then coming back. Every count is exact. */
describe("faults: the connection store down and back", () => {
  const stacks = useStacks();

  it("refuses $connect with 500, tells a broadcaster, keeps a stale key, retries SNS; after it, all works and keys match", async () => {
    // Prepare: three clients, A, B and C, stored before the outage.
    const stack = await stacks.start();
    const [a, b, c] = await connectMany(stack.tokenUrl(), 3);
    if (!a || !b || !c) throw new Error("three clients expected");
    stacks.trackAll([a, b, c]);
    await a.roundTrip();
    const sns = snsClient(stack);
    const incomplete = async () =>
      (await readLog(stack.outputs.lambda_log_file)).filter(
        (r) => r.message === "fan-out incomplete: listing connections failed",
      ).length;

    // Act 1: the outage. A new client, a broadcast, a client leaving, an SNS publish.
    stack.emulator.setStoreDown(true);
    const refused = await Client.connect(stack.tokenUrl()).catch((error: unknown) => error);
    a.send({ action: "broadcast", message: "during" });
    const answer = await a.next(isErrorFrame);
    c.close();
    await eventually(
      "C's $disconnect ran",
      async () => (await accessRecords(stack, "DISCONNECT")).length === 1,
    );
    await sns.send(
      new PublishCommand({ TopicArn: stack.outputs.input_sns_topic_arn, Message: '{"message":"sns"}' }),
    );
    await eventually("the SNS run failed", async () => (await incomplete()) === 2);

    // Act 2: the store comes back before Lambda's retry (1 s later); then a new client and a broadcast.
    stack.emulator.setStoreDown(false);
    await eventually("the retry delivered", () => a.received.some(isBroadcastOf("sns")));
    const d = await Client.connect(stack.tokenUrl());
    stacks.trackAll([d]);
    a.send({ action: "broadcast", message: "after" });
    await eventually("'after' reached A, B and D", () =>
      [a, b, d].every((x) => x.received.some(isBroadcastOf("after"))),
    );
    await a.roundTrip();
    sns.destroy();

    // Assess: during the outage.
    expect((refused as HandshakeRefused).status).toBe(500);
    expect(answer).toEqual({
      error: {
        code: "INTERNAL_ERROR",
        message:
          "The broadcast may not have reached every client (the connection store or the shard queue failed); try again.",
      },
    });
    expect(broadcastCounts([a, b, c, d], "during")).toEqual([0, 0, 0, 0]);
    const access = await readLog(stack.outputs.access_log_file);
    expect(access.filter((r) => r.eventType === "CONNECT").map((r) => r.status)).toEqual([
      "200",
      "200",
      "200",
      "500",
      "200",
    ]);
    expect(access.filter((r) => r.eventType === "DISCONNECT").map((r) => r.status)).toEqual(["500"]);
    // Assess: the SNS message failed once (the broadcast and the first SNS run), then was delivered once, to A and B.
    expect(await incomplete()).toBe(2);
    expect(broadcastCounts([a, b, c], "sns")).toEqual([1, 1, 0]);
    const done = (await readLog(stack.outputs.lambda_log_file)).filter((r) => r.message === "fan-out done");
    // The retry found C's key (its $disconnect could not remove it), got 410 and removed it.
    expect(done.map((r) => [r.recipients, r.delivered, r.staleDeleted])).toEqual([
      [3, 2, 1],
      [3, 3, 0],
    ]);
    // Assess: after it, everything works; keys are exactly the live connections (nothing half-stored).
    expect(broadcastCounts([a, b, d], "after")).toEqual([1, 1, 1]);
    expect(await storedConnectionIds(stack, s3Client(stack))).toHaveLength(3);
    expect(stack.gateway.connectionCount()).toBe(3);
  });
});
