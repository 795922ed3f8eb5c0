import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { packBatches, SqsShardQueue } from "../../../src/aws/shard-queue.js";
import { splitBuckets } from "../../../src/contract/index.js";
import { type ShardJob, ShardQueueError } from "../../../src/delivery/shard-job.js";

const sqs = mockClient(SQSClient);
const QUEUE = "https://sqs.us-east-1.amazonaws.com/082517634284/fanout-primary-shards";
afterEach(() => {
  sqs.reset();
});

function jobs(count: number, dataBytes = 40): ShardJob[] {
  return splitBuckets(count).map((range, index) => ({
    v: 1,
    audience: { kind: "everyone" },
    range,
    shard: { index, count },
    endpoint: "https://api.example/primary",
    data: Buffer.alloc(dataBytes, 97).toString("base64"),
    dispatchId: "req-1",
    dispatchedAt: 1767225600000,
  }));
}

describe("SqsShardQueue", () => {
  it("sends 16 jobs in batches of 10, one message per job", async () => {
    // Prepare
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    // Act
    await new SqsShardQueue(new SQSClient({ region: "us-east-1" }), QUEUE).enqueue(jobs(16));
    // Assess
    const inputs = sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input);
    expect(inputs.map((input) => input.Entries?.length)).toEqual([10, 6]);
    expect(inputs.every((input) => input.QueueUrl === QUEUE)).toBe(true);
    expect(JSON.parse(inputs[1]?.Entries?.[5]?.MessageBody ?? "")).toEqual(jobs(16)[15]);
  });

  it("sends again only the entries SQS refused", async () => {
    // Prepare
    sqs
      .on(SendMessageBatchCommand)
      .resolvesOnce({ Failed: [{ Id: "2", Code: "InternalError", SenderFault: false, Message: "retry" }] })
      .resolves({ Failed: [] });
    // Act
    await new SqsShardQueue(new SQSClient({ region: "us-east-1" }), QUEUE).enqueue(jobs(4));
    // Assess
    const second = sqs.commandCalls(SendMessageBatchCommand)[1]?.args[0].input.Entries;
    expect(second?.map((entry) => entry.Id)).toEqual(["2"]);
  });

  it("throws ShardQueueError naming how many shards were not enqueued after the retries", async () => {
    // Prepare
    sqs.on(SendMessageBatchCommand).rejects(new Error("AccessDenied"));
    // Act
    const failure = await new SqsShardQueue(new SQSClient({ region: "us-east-1" }), QUEUE)
      .enqueue(jobs(4))
      .catch((error: unknown) => error);
    // Assess
    expect(failure).toBeInstanceOf(ShardQueueError);
    expect((failure as ShardQueueError).message).toBe("4 of 4 fan-out shards could not be enqueued");
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(3);
  });
});

describe("packBatches", () => {
  it("keeps a batch under 250 KiB: jobs carrying 128 KB frames go one or two per batch", () => {
    // Prepare: a 128 KiB frame is ~171 KiB of base64
    const big = jobs(3, 128 * 1024).map((job, index) => ({ id: String(index), body: JSON.stringify(job) }));
    // Act
    const batches = packBatches(big);
    // Assess
    expect(batches.map((batch) => batch.length)).toEqual([1, 1, 1]);
  });
});

describe("SqsShardQueue with a client made on first use", () => {
  it("makes the client on the first enqueue only, and reuses it", async () => {
    // Prepare
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    let made = 0;
    const queue = new SqsShardQueue(async () => {
      made++;
      return new SQSClient({ region: "us-east-1" });
    }, QUEUE);
    const before = made;
    // Act
    await queue.enqueue(jobs(2));
    await queue.enqueue(jobs(3));
    // Assess
    expect(before).toBe(0);
    expect(made).toBe(1);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(2);
  });

  it("reports a client that cannot be made as a ShardQueueError for every job, and tries again next time", async () => {
    // Prepare
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    let attempts = 0;
    const queue = new SqsShardQueue(async () => {
      attempts++;
      if (attempts === 1) throw new Error("the SQS chunk failed to load");
      return new SQSClient({ region: "us-east-1" });
    }, QUEUE);
    // Act
    const failure = await queue.enqueue(jobs(4)).catch((error: unknown) => error);
    await queue.enqueue(jobs(4));
    // Assess
    expect(failure).toBeInstanceOf(ShardQueueError);
    expect((failure as ShardQueueError).message).toContain("4");
    expect(((failure as ShardQueueError).cause as Error).message).toBe("the SQS chunk failed to load");
    expect(attempts).toBe(2);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(1);
  });
});
