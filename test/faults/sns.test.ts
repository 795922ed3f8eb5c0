import {
  ListSubscriptionsByTopicCommand,
  PublishCommand,
  type SNSClient,
  SubscribeCommand,
  UnsubscribeCommand,
} from "@aws-sdk/client-sns";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Client,
  connectMany,
  eventually,
  readLog,
  snsClient,
  startTestStack,
  type TestStack,
} from "../support/stack.js";

const isMessage = (message: string) => (f: unknown) => JSON.stringify(f) === JSON.stringify({ message });
const counts = (clients: Client[], message: string) =>
  clients.map((c) => c.received.filter(isMessage(message)).length);

/** The function's SNS subscription removed and made again through the SNS API, through the whole stack. */
describe("faults: SNS unsubscribe", () => {
  let stack: TestStack;
  let clients: Client[] = [];
  let sns: SNSClient;
  beforeAll(async () => {
    stack = await startTestStack();
    clients = await connectMany(stack.tokenUrl(), 3);
    sns = snsClient(stack);
  });
  afterAll(async () => {
    sns?.destroy();
    for (const c of clients) c.close();
    await stack?.dispose();
  });

  it("stops delivery after Unsubscribe with a WARN line, and resumes after Subscribe --protocol lambda", async () => {
    // Prepare
    const TopicArn = stack.outputs.input_sns_topic_arn;
    const publish = (message: string) =>
      sns.send(new PublishCommand({ TopicArn, Message: JSON.stringify({ message }) }));
    const listed = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }));
    const [subscription] = listed.Subscriptions ?? [];
    await publish("before");
    await eventually("'before' delivered", () => clients.every((c) => c.received.some(isMessage("before"))));

    // Act
    await sns.send(new UnsubscribeCommand({ SubscriptionArn: subscription?.SubscriptionArn }));
    for (let i = 0; i < 5; i++) await publish("lost");
    await sns.send(new SubscribeCommand({ TopicArn, Protocol: "lambda", Endpoint: subscription?.Endpoint }));
    await publish("after");
    await eventually("'after' delivered", () => clients.every((c) => c.received.some(isMessage("after"))));
    await clients[0]?.roundTrip();

    // Assess
    expect(subscription).toMatchObject({
      Protocol: "lambda",
      Endpoint: expect.stringMatching(/:function:fanout-local$/),
    });
    expect(counts(clients, "before")).toEqual([1, 1, 1]);
    expect(counts(clients, "lost")).toEqual([0, 0, 0]);
    expect(counts(clients, "after")).toEqual([1, 1, 1]);
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
