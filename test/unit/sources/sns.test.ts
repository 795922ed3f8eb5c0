import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import type { SNSEvent } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { connectionKey, MAX_MESSAGE_BYTES, memberKey } from "../../../src/contract/index.js";
import { SnsDeliveryError } from "../../../src/sources/sns.js";
import { loadEvent } from "../../support/fixtures.js";
import { mockAws } from "../support/aws.js";
import { CONFIGURED_ENDPOINT, context, setupHandler, snsEvent } from "../support/handler.js";

/** The SNS adapter through the handler, over the real dependencies. */
const aws = mockAws();
const OPEN = { AUTH_MODE: "open" };
const SNS_ENV = { ...OPEN, MANAGEMENT_ENDPOINT: CONFIGURED_ENDPOINT };
const TOPIC_ARN = "arn:aws:sns:us-east-1:082517634284:simple-websocket-testing-dev"; // sns_message_1.json

describe("SNS", () => {
  it("delivers the message unchanged to every connection through the configured endpoint", async () => {
    // Prepare
    aws.storedConnections("a=", "b=");
    const { handler, endpoints, log } = setupHandler(SNS_ENV);

    // Act
    const result = await handler(loadEvent("sns_message_1"), context);

    // Assess
    expect(result).toBeUndefined();
    expect(aws.sent().sort()).toEqual([
      ["a=", '{"hello": "world"}'],
      ["b=", '{"hello": "world"}'],
    ]);
    expect(endpoints).toEqual([CONFIGURED_ENDPOINT]);
    expect(log.lines.find((line) => line.message === "fan-out done")?.attributes).toMatchObject({
      snsMessageId: "09a10504-fa09-5b7c-838c-5c9917b73e72",
      requestId: "lambda-request-1",
      delivered: 2,
    });
  });

  it("handles every record, skipping and logging the bad ones by MessageId", async () => {
    // Prepare
    aws.storedConnections("a=");
    const event = snsEvent(
      '{"n":1}',
      "not json",
      JSON.stringify("x".repeat(MAX_MESSAGE_BYTES)),
      undefined,
      '{"n":2}',
    );
    const { handler, log } = setupHandler(SNS_ENV);

    // Act
    const result = await handler(event, context);

    // Assess
    expect(result).toBeUndefined();
    expect(aws.sent()).toEqual([
      ["a=", '{"n":1}'],
      ["a=", '{"n":2}'],
    ]);
    const rejected = log.find("SNS message rejected");
    expect(rejected.map((line) => line.attributes.snsMessageId)).toEqual([
      "message-2",
      "message-3",
      "message-4",
    ]);
    expect(rejected.map((line) => line.level)).toEqual(["error", "error", "error"]);
    expect(String(rejected[0]?.attributes.reason)).toContain("not JSON");
    expect(String(rejected[1]?.attributes.reason)).toContain(`at most ${MAX_MESSAGE_BYTES} bytes`);
    expect(log.lines.every((line) => line.attributes.requestId === "lambda-request-1")).toBe(true);
  });

  it("does not throw when no record is good", async () => {
    // Prepare
    const { handler, log } = setupHandler(SNS_ENV);

    // Act
    const result = await handler(snsEvent("nope"), context);

    // Assess
    expect(result).toBeUndefined();
    expect(aws.sent()).toEqual([]);
    expect(aws.s3.commandCalls(ListObjectsV2Command)).toHaveLength(0);
    expect(log.find("SNS message rejected")).toHaveLength(1);
  });

  it("logs and skips the event when no management endpoint is configured", async () => {
    // Prepare
    aws.storedConnections("a=");
    const { handler, log } = setupHandler(OPEN);

    // Act
    const result = await handler(loadEvent("sns_message_1"), context);

    // Assess
    expect(result).toBeUndefined();
    expect(aws.sent()).toEqual([]);
    expect(log.lines).toEqual([
      expect.objectContaining({
        level: "error",
        message: expect.stringContaining("MANAGEMENT_ENDPOINT is not set"),
        attributes: expect.objectContaining({ snsMessageIds: ["09a10504-fa09-5b7c-838c-5c9917b73e72"] }),
      }),
    ]);
  });

  it("tries every record, then throws SnsDeliveryError when the store could not be listed", async () => {
    // Prepare
    aws.s3
      .on(ListObjectsV2Command)
      .rejectsOnce(new Error("InternalError"))
      .resolves({ Contents: [{ Key: connectionKey("active-connections", "a=") }] });
    const { handler } = setupHandler(SNS_ENV);

    // Act
    const failure = await handler(snsEvent('{"n":1}', '{"n":2}'), context).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(SnsDeliveryError);
    expect((failure as SnsDeliveryError).messageIds).toEqual(["message-1"]);
    expect(aws.sent()).toEqual([["a=", '{"n":2}']]);
  });

  it("drops SNS records of another topic, delivering the ones of its own", async () => {
    // Prepare
    aws.storedConnections("a=", "b=");
    const { handler, log } = setupHandler({ ...SNS_ENV, INPUT_TOPIC_ARN: TOPIC_ARN });
    const event = loadEvent<SNSEvent>("sns_message_1");
    const own = event.Records[0];
    if (own === undefined) throw new Error("fixture has no record");
    const forged = structuredClone(own);
    forged.Sns.TopicArn = "arn:aws:sns:us-east-1:999999999999:someone-elses";
    forged.Sns.Message = '{"forged":true}';
    event.Records = [forged, own];

    // Act
    await handler(event, context);

    // Assess
    expect(aws.sent().every(([, frame]) => frame === own.Sns.Message)).toBe(true);
    expect(aws.sent()).toHaveLength(2);
    expect(log.lines).toContainEqual(
      expect.objectContaining({ message: expect.stringContaining("comes from another topic") }),
    );
  });
});

describe("SNS with a channel attribute", () => {
  function snsEventWith(attributes: SNSEvent["Records"][number]["Sns"]["MessageAttributes"]): SNSEvent {
    const event = loadEvent<SNSEvent>("sns_message_1");
    const record = event.Records[0];
    if (record === undefined) throw new Error("fixture has no record");
    record.Sns.MessageAttributes = attributes;
    return event;
  }
  const MESSAGE_ID = "09a10504-fa09-5b7c-838c-5c9917b73e72";

  it("sends {channel, message, id: MessageId} to the channel's members only", async () => {
    // Prepare
    aws.s3.on(ListObjectsV2Command, { Prefix: "channel-members/game-42%2Fscore/" }).resolves({
      Contents: [{ Key: memberKey("game-42/score", "a=") }],
    });
    aws.s3.on(ListObjectsV2Command, { Prefix: "active-connections/" }).resolves({
      Contents: [
        { Key: connectionKey("active-connections", "a=") },
        { Key: connectionKey("active-connections", "b=") },
      ],
    });
    const { handler } = setupHandler(SNS_ENV);
    // Act
    await handler(snsEventWith({ channel: { Type: "String", Value: "game-42/score" } }), context);
    // Assess
    expect(aws.sent()).toEqual([
      ["a=", `{"channel":"game-42/score","message":{"hello":"world"},"id":"${MESSAGE_ID}"}`],
    ]);
  });

  it.each([
    ["an invalid name", { Type: "String", Value: "news//x" }, "the channel attribute is invalid"],
    ["a Number attribute", { Type: "Number", Value: "42" }, "type Number"],
  ])("logs %s with the MessageId and skips the record", async (_name, attribute, reason) => {
    // Prepare
    aws.s3.on(ListObjectsV2Command, { Prefix: "active-connections/" }).resolves({
      Contents: [{ Key: "active-connections/a=" }],
    });
    const { handler, log } = setupHandler(SNS_ENV);
    // Act
    const result = await handler(snsEventWith({ channel: attribute }), context);
    // Assess
    expect(result).toBeUndefined();
    expect(aws.sent()).toEqual([]);
    const [rejected] = log.find("SNS message rejected");
    expect(rejected?.attributes).toMatchObject({ snsMessageId: MESSAGE_ID });
    expect(String(rejected?.attributes.reason)).toContain(reason);
  });

  it("sends a message without the attribute to everyone, body unchanged", async () => {
    // Prepare
    aws.s3.on(ListObjectsV2Command, { Prefix: "active-connections/" }).resolves({
      Contents: [{ Key: "active-connections/a=" }],
    });
    const { handler } = setupHandler(SNS_ENV);
    // Act
    await handler(snsEventWith({ other: { Type: "String", Value: "x" } }), context);
    // Assess
    expect(aws.sent()).toEqual([["a=", '{"hello": "world"}']]);
  });
});
