import { ReceiveMessageCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { SQSEvent } from "aws-lambda";
import { afterEach, describe, expect, it } from "vitest";
import {
  type Emulator,
  LOCAL_CREDENTIALS,
  startEmulator,
} from "../../../util/local-stack/emulator/emulator.js";
import {
  type EventSourceMapping,
  startEventSourceMapping,
} from "../../../util/local-stack/emulator/event-source-mapping.js";
import { eventually } from "../../support/wait.js";

let emulator: Emulator | undefined;
let mapping: EventSourceMapping | undefined;
let sqs: SQSClient | undefined;

afterEach(async () => {
  await mapping?.stop();
  await emulator?.stop();
  sqs?.destroy();
  mapping = undefined;
  emulator = undefined;
});

/** The emulator and a mapping whose function is `invoke`; visibility 1 s, so retries come quickly. */
async function setup(invoke: (event: SQSEvent) => Promise<unknown>, batchSize = 1) {
  emulator = await startEmulator({
    host: "127.0.0.1",
    port: 0,
    region: "us-east-1",
    bucket: "esm-test",
    topicName: "esm-test-input",
    functionName: "esm-test",
    deliveryQueueName: "esm-test-delivery",
    deliver: async () => undefined,
    warn: () => undefined,
  });
  mapping = await startEventSourceMapping({
    endpoint: emulator.endpoint,
    region: "us-east-1",
    credentials: LOCAL_CREDENTIALS,
    queueName: "esm-test-shards",
    batchSize,
    maxConcurrency: 1,
    visibilityTimeoutSeconds: 1,
    maxReceiveCount: 2,
    invoke,
    warn: () => undefined,
  });
  sqs = new SQSClient({ endpoint: emulator.endpoint, region: "us-east-1", credentials: LOCAL_CREDENTIALS });
  return { queueUrl: mapping.queueUrl, deadLetterQueueUrl: mapping.deadLetterQueueUrl, sqs };
}

describe("local SQS event source mapping", () => {
  it("hands a message to the function as an SQS event and deletes it when nothing is reported failed", async () => {
    // Prepare
    const events: SQSEvent[] = [];
    const { queueUrl, sqs } = await setup(async (event) => {
      events.push(event);
      return { batchItemFailures: [] };
    });
    // Act
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"shard":1}' }));
    await eventually("the event", () => events.length === 1, 8000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // Assess: the record has Lambda's shape, and no redelivery after the visibility timeout
    expect(events).toHaveLength(1);
    expect(events[0]?.Records[0]).toMatchObject({
      body: '{"shard":1}',
      eventSource: "aws:sqs",
      eventSourceARN: mapping?.queueArn,
      awsRegion: "us-east-1",
      attributes: { ApproximateReceiveCount: "1" },
    });
  });

  it("with batch size 2, redelivers only the record reported failed", async () => {
    // Prepare
    const bodies: string[] = [];
    const { queueUrl, sqs } = await setup(async (event) => {
      bodies.push(...event.Records.map((record) => record.body));
      const failed = event.Records.filter(
        (record) => record.body === "b" && record.attributes.ApproximateReceiveCount === "1",
      );
      return { batchItemFailures: failed.map((record) => ({ itemIdentifier: record.messageId })) };
    }, 2);
    // Act
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "a" }));
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "b" }));
    await eventually("b twice", () => bodies.filter((body) => body === "b").length === 2, 8000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // Assess
    expect(bodies.filter((body) => body === "a")).toHaveLength(1);
    expect(bodies.filter((body) => body === "b")).toHaveLength(2);
  });

  it("moves a message that failed every receive to the dead-letter queue after maxReceiveCount", async () => {
    // Prepare
    let invocations = 0;
    const { queueUrl, deadLetterQueueUrl, sqs } = await setup(async () => {
      invocations++;
      return undefined; // the invocation failed
    });
    // Act
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: "poison" }));
    let dead: string[] = [];
    const deadline = Date.now() + 10_000;
    while (dead.length === 0 && Date.now() < deadline) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: deadLetterQueueUrl, WaitTimeSeconds: 1 }),
      );
      dead = Messages.map((message) => message.Body ?? "");
    }
    // Assess
    expect(dead).toEqual(["poison"]);
    expect(invocations).toBe(2);
  });
});
