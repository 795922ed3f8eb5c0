import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { bucketOf } from "../../../src/contract/index.js";
import { mockAws } from "../support/aws.js";
import { context, DERIVED_ENDPOINT, SENDER, setupHandler, shardEvent } from "../support/handler.js";
import { connectionIds } from "../support/store.js";

/** The SQS adapter (the shard worker) through the handler, over the real dependencies. */
const aws = mockAws();
const OPEN = { AUTH_MODE: "open" };

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
});
