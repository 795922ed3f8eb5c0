import {
  ListSubscriptionsByTopicCommand,
  PublishCommand,
  SubscribeCommand,
  UnsubscribeCommand,
} from "@aws-sdk/client-sns";
import { describe, expect, it } from "vitest";
import { readLog, useStack } from "../support/stack.js";
import { eventually } from "../support/wait.js";
import { broadcastCounts, isBroadcastOf } from "../support/ws-client.js";

/** The function's SNS subscription removed and made again through the SNS API, through the whole stack. */
describe("faults: SNS unsubscribe", () => {
  const suite = useStack({}, 3);

  it("stops delivery after Unsubscribe with a WARN line, and resumes after Subscribe --protocol lambda", async () => {
    // Prepare
    const { stack, clients, sns } = suite;
    const TopicArn = stack.outputs.input_sns_topic_arn;
    const publish = (message: string) =>
      sns.send(new PublishCommand({ TopicArn, Message: JSON.stringify({ message }) }));
    const listed = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }));
    const [subscription] = listed.Subscriptions ?? [];
    await publish("before");
    await eventually("'before' delivered", () =>
      clients.every((c) => c.received.some(isBroadcastOf("before"))),
    );

    // Act
    await sns.send(new UnsubscribeCommand({ SubscriptionArn: subscription?.SubscriptionArn }));
    for (let i = 0; i < 5; i++) await publish("lost");
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: "lambda", Endpoint: subscription?.Endpoint }));
    await publish("after");
    await eventually("'after' delivered", () =>
      clients.every((c) => c.received.some(isBroadcastOf("after"))),
    );
    await clients[0]?.roundTrip();

    // Assess
    expect(subscription).toMatchObject({
      Protocol: "lambda",
      Endpoint: expect.stringMatching(/:function:fanout-local$/),
    });
    expect(broadcastCounts(clients, "before")).toEqual([1, 1, 1]);
    expect(broadcastCounts(clients, "lost")).toEqual([0, 0, 0]);
    expect(broadcastCounts(clients, "after")).toEqual([1, 1, 1]);
    const warnings = (await readLog(stack.outputs.lambda_log_file)).filter((r) => r.level === "WARN");
    expect(warnings.map((r) => r.message)).toEqual([
      expect.stringMatching(
        /^local stack: SNS: Unsubscribe removed the subscription of .* reach no function now/,
      ),
      expect.stringMatching(/^local stack: SNS: .* is subscribed to .* again .*; delivery resumes$/),
    ]);
    const runs = (await readLog(stack.outputs.lambda_log_file)).filter((r) => r.message === "fan-out done");
    expect(runs).toHaveLength(2);
  });
});
