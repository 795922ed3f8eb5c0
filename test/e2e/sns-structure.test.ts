import { PublishCommand } from "@aws-sdk/client-sns";
import { describe, expect, it } from "vitest";
import { useStack } from "../support/stack.js";

describe("SNS MessageStructure through the local stack", () => {
  const suite = useStack({}, 3);

  it("hands the function the lambda entry of a MessageStructure=json publish, and clients get that entry only", async () => {
    // Prepare
    const { stack, clients, sns } = suite;
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
