import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { bucketOf, connectionKey, DEFAULT_CONNECTION_PREFIX } from "../../../src/contract/index.js";
import { mockAws } from "../support/aws.js";
import { context, DERIVED_ENDPOINT, SENDER, setupHandler, shardEvent } from "../support/handler.js";
import { connectionIds } from "../support/store.js";

/** The SQS adapter (the shard worker) through the handler, over the real dependencies. */
const aws = mockAws();
const OPEN = { AUTH_MODE: "open" };
const QUEUES = {
  SHARD_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/082517634284/fanout-primary-shards",
  SHARD_DEAD_LETTER_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/082517634284/fanout-primary-shards-dlq",
};

/** The captured shard record, dispatched `ageMs` ago and received for the `receiveCount`th time. */
function receivedShard(ageMs: number, receiveCount: number, dispatchedAt = Date.now() - ageMs) {
  const event = shardEvent((job) => {
    job.dispatchedAt = dispatchedAt;
  });
  const record = event.Records[0] as (typeof event.Records)[number];
  record.attributes.ApproximateReceiveCount = String(receiveCount);
  return { event, record, dispatchedAt };
}

describe("SQS: fan-out shards", () => {
  it("lists its buckets only and sends the job's frame to them, reporting no failure", async () => {
    // Prepare: one id in the job's buckets (0-15), one outside
    const inside = connectionIds(400).find((id) => bucketOf(id) < 16) as string;
    const outside = connectionIds(400).find((id) => bucketOf(id) >= 16) as string;
    aws.storedConnections(inside, outside);
    const { handler, log, endpoints } = setupHandler(OPEN);

    // Act
    const result = await handler(shardEvent(), context);

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(aws.sent()).toEqual([[inside, '{"message":"Hello everyone!"}']]);
    expect(endpoints).toEqual([DERIVED_ENDPOINT]);
    expect(aws.s3.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input.StartAfter)).toEqual([
      undefined, // the flat layout's keys: this shard starts the store
      "active-connections/~00",
    ]);
    expect(log.find("fan-out done")[0]?.attributes).toMatchObject({
      audience: "everyone",
      shard: "1/16",
      buckets: "0-15",
      dispatchId: "Ek02PHbEIAMFTSg=",
      sqsMessageId: "059f36b4-87a3-44ab-83d2-661975830a7d",
      recipients: 1,
      delivered: 1,
    });
  });

  it("reports only the failed record: a malformed job and a failed listing, each on its own", async () => {
    // Prepare
    aws.s3.on(ListObjectsV2Command).rejects(new Error("InternalError"));
    const event = shardEvent();
    const bad = shardEvent((job) => {
      job.range = { from: 9, to: 3 };
    }, "bad-1");
    event.Records.push(...bad.Records);
    const { handler, log } = setupHandler(OPEN);

    // Act
    const result = await handler(event, context);

    // Assess
    expect(result).toEqual({
      batchItemFailures: [
        { itemIdentifier: "059f36b4-87a3-44ab-83d2-661975830a7d" },
        { itemIdentifier: "bad-1" },
      ],
    });
    expect(log.lines.map((line) => [line.level, line.message])).toEqual([
      ["error", "fan-out incomplete: listing connections failed"],
      ["error", "shard job rejected; it will go to the dead-letter queue"],
    ]);
  });

  it("sends through the configured endpoint rather than the job's", async () => {
    // Prepare
    aws.storedConnections(SENDER);
    const { handler, endpoints } = setupHandler({
      ...OPEN,
      MANAGEMENT_ENDPOINT: "https://abc.execute-api.eu-west-1.amazonaws.com/prod",
    });

    // Act
    await handler(
      shardEvent((job) => void Object.assign(job, { range: { from: 0, to: 256 } })),
      context,
    );

    // Assess
    expect(endpoints).toEqual(["https://abc.execute-api.eu-west-1.amazonaws.com/prod"]);
  });

  it("lists only the recipients whose key was written by the dispatch (and its margin), on every receive", async () => {
    // Prepare: in the job's buckets, one connection from before the dispatch, one from 2 s after it (within the
    // margin), one from 3 s after it
    const [before, within, after] = connectionIds(400)
      .filter((id) => bucketOf(id) < 16)
      .slice(0, 3) as [string, string, string];
    const { event, dispatchedAt } = receivedShard(10_000, 2);
    const written = {
      [before]: dispatchedAt - 60_000,
      [within]: dispatchedAt + 2000,
      [after]: dispatchedAt + 3000,
    };
    aws.s3.on(ListObjectsV2Command).callsFake((input: { Prefix?: string }) => ({
      Contents: input.Prefix?.startsWith(`${DEFAULT_CONNECTION_PREFIX}/`)
        ? Object.entries(written).map(([id, at]) => ({
            Key: connectionKey(DEFAULT_CONNECTION_PREFIX, id),
            LastModified: new Date(at),
          }))
        : [],
    }));
    const { handler } = setupHandler({ ...OPEN, ...QUEUES });

    // Act
    const result = await handler(event, context);

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(aws.sent().map(([to]) => to)).toEqual([before, within]);
  });

  it("sets a redelivery past FANOUT_SHARD_MAX_AGE_SECONDS aside in the dead-letter queue with its reason, and acknowledges it", async () => {
    // Prepare: received a second time 61 s after its dispatch, the bound being 60 s
    aws.storedConnections(SENDER);
    aws.sqs.on(SendMessageCommand).resolves({ MessageId: "dlq-1" });
    const { event, record } = receivedShard(61_000, 2);
    const { handler, log } = setupHandler({ ...OPEN, ...QUEUES });

    // Act
    const result = await handler(event, context);

    // Assess: nothing sent, the body unchanged in the dead-letter queue
    expect(result).toEqual({ batchItemFailures: [] });
    expect(aws.sent()).toEqual([]);
    const [setAside] = aws.sqs.commandCalls(SendMessageCommand).map((call) => call.args[0].input);
    expect(setAside).toEqual({
      QueueUrl: QUEUES.SHARD_DEAD_LETTER_QUEUE_URL,
      MessageBody: record.body,
      MessageAttributes: { reason: { DataType: "String", StringValue: expect.any(String) } },
    });
    expect(setAside?.MessageAttributes?.reason?.StringValue).toMatch(
      /^redelivered \(receive 2\) 61\.\d s after its dispatch, past the 60 s bound \(FANOUT_SHARD_MAX_AGE_SECONDS\): not replayed$/,
    );
    expect(log.find("shard job too late to replay: set aside in the dead-letter queue")).toMatchObject([
      { level: "warn", attributes: { receiveCount: 2, dispatchId: "Ek02PHbEIAMFTSg=" } },
    ]);
  });

  it.each([
    ["a first receive, however late (shards beyond the mapping's concurrency wait their turn)", 600_000, 1],
    ["a redelivery within the bound", 59_000, 2],
  ])("runs %s", async (_, ageMs, receiveCount) => {
    // Prepare: one connection in the job's buckets (0-15)
    const inside = connectionIds(400).find((id) => bucketOf(id) < 16) as string;
    aws.storedConnections(inside);
    const { event } = receivedShard(ageMs, receiveCount);
    const { handler } = setupHandler({ ...OPEN, ...QUEUES, MANAGEMENT_ENDPOINT: DERIVED_ENDPOINT });

    // Act
    const result = await handler(event, context);

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(aws.sent()).toEqual([[inside, '{"message":"Hello everyone!"}']]);
    expect(aws.sqs.commandCalls(SendMessageCommand)).toEqual([]);
  });

  it.each([
    [
      "no dead-letter queue is configured",
      { SHARD_QUEUE_URL: QUEUES.SHARD_QUEUE_URL },
      "and no dead-letter queue is configured",
    ],
    ["setting it aside fails", QUEUES, "and setting it aside failed"],
  ])(
    "reports a redelivery past the bound failed when %s, so that the queue's redrive policy keeps it",
    async (_, env, message) => {
      // Prepare
      aws.sqs.on(SendMessageCommand).rejects(new Error("AccessDenied"));
      const { event, record } = receivedShard(61_000, 3);
      const { handler, log } = setupHandler({ ...OPEN, ...env });

      // Act
      const result = await handler(event, context);

      // Assess
      expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: record.messageId }] });
      expect(aws.sent()).toEqual([]);
      expect(log.lines.map((line) => [line.level, line.message])).toEqual([
        ["error", `shard job too late to replay, ${message}`],
      ]);
    },
  );
});
