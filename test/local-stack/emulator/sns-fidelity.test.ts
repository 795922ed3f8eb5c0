import {
  GetSubscriptionAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListSubscriptionsCommand,
  PublishBatchCommand,
  PublishCommand,
  SNSClient,
  SNSServiceException,
  SubscribeCommand,
  UnsubscribeCommand,
} from "@aws-sdk/client-sns";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LOCAL_CREDENTIALS } from "../../../util/local-stack/emulator/emulator.js";
import { messageForLambda } from "../../../util/local-stack/emulator/fidelity/sns.js";
import { eventually } from "../../support/wait.js";
import { startTestEmulator, type TestEmulator } from "./support.js";

describe("MessageStructure, as SNS hands it to a Lambda subscription", () => {
  it.each([
    ["the lambda entry", '{"default":"d","lambda":"l","sqs":"s"}', "json", { message: "l" }],
    ["else default", '{"default":"d","sqs":"s"}', "json", { message: "d" }],
    ["the message itself without a structure", '{"lambda":"l"}', undefined, { message: '{"lambda":"l"}' }],
  ])("takes %s", (_what, message, structure, expected) => {
    // Act
    const chosen = messageForLambda(message, structure);

    // Assess
    expect(chosen).toEqual(expected);
  });

  it.each([
    ["no default entry", '{"lambda":"l"}', "json", /No default entry/],
    ["a default that is not a string", '{"default":{"a":1}}', "json", /No default entry/],
    ["a body that is not JSON", "plain text", "json", /failed to parse/],
    ["a JSON array", '["default"]', "json", /failed to parse/],
    ["a structure other than json", '{"default":"d"}', "xml", /MessageStructure/],
  ])("refuses %s with SNS's InvalidParameter text", (_what, message, structure, expected) => {
    // Act
    const chosen = messageForLambda(message, structure);

    // Assess
    expect("error" in chosen && chosen.error).toMatch(expected);
  });
});

describe("the topic's SNS API shows and does what the deployed topic does", () => {
  let emulator: TestEmulator;
  let sns: SNSClient;
  beforeEach(async () => {
    emulator = await startTestEmulator();
    sns = new SNSClient({ endpoint: emulator.endpoint, region: "us-east-1", credentials: LOCAL_CREDENTIALS });
  });
  afterEach(async () => {
    sns?.destroy();
    await emulator?.stop();
  });

  it("hands the function the lambda entry of a MessageStructure=json publish, else default (Publish and batch)", async () => {
    // Prepare
    const TopicArn = emulator.topicArn;

    // Act
    const one = await sns.send(
      new PublishCommand({ TopicArn, MessageStructure: "json", Message: '{"default":"d1","lambda":"l1"}' }),
    );
    const batch = await sns.send(
      new PublishBatchCommand({
        TopicArn,
        PublishBatchRequestEntries: [
          { Id: "a", MessageStructure: "json", Message: '{"default":"d2"}' },
          { Id: "b", Message: '{"default":"d3","lambda":"l3"}' },
        ],
      }),
    );
    await eventually("three deliveries", () => emulator.delivered.length === 3, 10_000);

    // Assess
    const byId = new Map(
      emulator.delivered.map((e) => [e.Records[0]?.Sns.MessageId, e.Records[0]?.Sns.Message]),
    );
    expect(byId.get(one.MessageId)).toBe("l1");
    expect(byId.get(batch.Successful?.[0]?.MessageId)).toBe("d2");
    expect(byId.get(batch.Successful?.[1]?.MessageId)).toBe('{"default":"d3","lambda":"l3"}');
  });

  it("refuses a MessageStructure=json publish without default with InvalidParameter, and delivers nothing", async () => {
    // Act
    const refused = await sns
      .send(
        new PublishCommand({
          TopicArn: emulator.topicArn,
          MessageStructure: "json",
          Message: '{"lambda":"l"}',
        }),
      )
      .catch((error: unknown) => error);
    await sns.send(new PublishCommand({ TopicArn: emulator.topicArn, Message: "marker" }));
    await eventually("the marker", () => emulator.delivered.length > 0, 10_000);

    // Assess
    expect(refused).toBeInstanceOf(SNSServiceException);
    expect((refused as SNSServiceException).name).toBe("InvalidParameterException");
    expect((refused as SNSServiceException).message).toMatch(/No default entry/);
    expect(emulator.delivered.map((e) => e.Records[0]?.Sns.Message)).toEqual(["marker"]);
  });

  it("lists the function's lambda subscription, not the internal SQS queue", async () => {
    // Act
    const all = await sns.send(new ListSubscriptionsCommand({}));
    const byTopic = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: emulator.topicArn }));
    const arn = byTopic.Subscriptions?.[0]?.SubscriptionArn ?? "";
    const attributes = await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: arn }));

    // Assess
    const expected = { Protocol: "lambda", Endpoint: emulator.functionArn, TopicArn: emulator.topicArn };
    expect(all.Subscriptions).toEqual([expect.objectContaining(expected)]);
    expect(byTopic.Subscriptions).toEqual([expect.objectContaining(expected)]);
    expect(attributes.Attributes).toEqual(expect.objectContaining(expected));
    expect(attributes.Attributes).not.toHaveProperty("RawMessageDelivery");
    expect(emulator.functionArn).toBe("arn:aws:lambda:us-east-1:000000000000:function:fanout-test");
  });

  it("stops delivery on Unsubscribe of the function, as AWS does, with a WARN line; Subscribe lambda restores it", async () => {
    // Prepare
    const listed = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: emulator.topicArn }));
    const SubscriptionArn = listed.Subscriptions?.[0]?.SubscriptionArn ?? "";

    // Act
    await sns.send(new UnsubscribeCommand({ SubscriptionArn }));
    const afterUnsubscribe = await sns.send(
      new ListSubscriptionsByTopicCommand({ TopicArn: emulator.topicArn }),
    );
    await sns.send(new PublishCommand({ TopicArn: emulator.topicArn, Message: "lost" }));
    const again = await sns.send(
      new SubscribeCommand({
        TopicArn: emulator.topicArn,
        Protocol: "lambda",
        Endpoint: emulator.functionArn,
      }),
    );
    await sns.send(new PublishCommand({ TopicArn: emulator.topicArn, Message: "delivered" }));
    await eventually("the delivery after subscribing again", () => emulator.delivered.length > 0, 10_000);
    const restored = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: emulator.topicArn }));

    // Assess
    expect(afterUnsubscribe.Subscriptions).toEqual([]);
    expect(emulator.delivered.map((e) => e.Records[0]?.Sns.Message)).toEqual(["delivered"]);
    expect(emulator.delivered[0]?.Records[0]?.EventSubscriptionArn).toBe(again.SubscriptionArn);
    expect(restored.Subscriptions).toEqual([
      expect.objectContaining({ Protocol: "lambda", Endpoint: emulator.functionArn }),
    ]);
    expect(emulator.warnings).toEqual([
      expect.stringMatching(/Unsubscribe removed the subscription of .*fanout-test.* reach no function now/),
      expect.stringMatching(/subscribed to .* again/),
    ]);
  });

  it.each([
    ["http", "http://127.0.0.1:9/hook", /protocol http never delivers here/],
    ["https", "https://example.com/hook", /protocol https never delivers here/],
    ["email", "dev@example.com", /protocol email never delivers here/],
    ["lambda", "arn:aws:lambda:us-east-1:000000000000:function:other", /Endpoint arn:.*function:other/],
  ])(
    "refuses Subscribe --protocol %s, which would never deliver, with InvalidParameter",
    async (Protocol, Endpoint, expected) => {
      // Act
      const refused = await sns
        .send(new SubscribeCommand({ TopicArn: emulator.topicArn, Protocol, Endpoint }))
        .catch((error: unknown) => error);
      const listed = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: emulator.topicArn }));

      // Assess
      expect(refused).toBeInstanceOf(SNSServiceException);
      expect((refused as SNSServiceException).name).toBe("InvalidParameterException");
      expect((refused as SNSServiceException).message).toMatch(expected);
      expect(listed.Subscriptions).toHaveLength(1);
    },
  );
});
