import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, connectMany, snsClient, startTestStack, type TestStack } from "../support/stack.js";

describe("SNS MessageStructure through the local stack", () => {
  let stack: TestStack;
  let clients: Client[] = [];
  let sns: SNSClient;

  beforeAll(async () => {
    stack = await startTestStack();
    sns = snsClient(stack);
    clients = await connectMany(stack.tokenUrl(), 3);
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    sns?.destroy();
    await stack?.dispose();
  });

  it("hands the function the lambda entry of a MessageStructure=json publish, and clients get that entry only", async () => {
    // Prepare
    const lambda = JSON.stringify({ for: "the function" });
    const document = JSON.stringify({
      default: JSON.stringify({ for: "default" }),
      lambda,
      sqs: "for queues",
    });
    const before = clients.map((c) => c.raw.length);

    // Act
    await sns.send(
      new PublishCommand({
        TopicArn: stack.outputs.input_sns_topic_arn,
        MessageStructure: "json",
        Message: document,
      }),
    );
    await Promise.all(clients.map((c, i) => c.next(() => true, before[i])));
    for (const client of clients) await client.roundTrip();

    // Assess
    for (const [i, client] of clients.entries()) {
      const texts = client.raw
        .slice(before[i])
        .map((r) => r.data.toString("utf8"))
        .filter((text) => !text.includes("pong"));
      expect(texts).toEqual([lambda]);
    }
  });
});
