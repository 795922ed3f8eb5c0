import type { Context } from "aws-lambda";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/app/config.js";
import { createHandler, isAuthorizerEvent, sourceOf } from "../../src/index.js";
import { loadEvent } from "../support/fixtures.js";
import { mockAws } from "./support/aws.js";
import { context, setupHandler } from "./support/handler.js";
import { RecordingLog } from "./support/log.js";
import { authorizerEvent } from "./support/tokens.js";

const _aws = mockAws();
const OPEN = { AUTH_MODE: "open" };
const METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:abcdef123/primary/$connect";

/** The keys the handler logs of an event it does not recognise (only the logger is needed for one). */
async function loggedKeys(event: unknown): Promise<unknown> {
  const log = new RecordingLog();
  const deps = {
    config: loadConfig({ CONNECTION_BUCKET: "b", AUTH_MODE: "open" }),
    log,
    verifier: undefined,
  };
  const handler = createHandler({
    authorizer: async () => deps,
    everything: async () => {
      throw new Error("an unrecognised event needs the authorizer's dependencies only");
    },
  });
  await handler(event, { awsRequestId: "r" } as Context);
  return log.lines[0]?.attributes.eventKeys;
}

describe("the event source table", () => {
  it.each(["connect_1", "disconnect_1", "broadcast_1"] as const)(
    "recognises %s as a WebSocket event",
    (name) => {
      // Prepare
      const event = loadEvent(name);

      // Act
      const source = sourceOf(event);

      // Assess
      expect(source).toBe("websocket");
    },
  );

  it("recognises an SNS event", () => {
    // Prepare
    const event = loadEvent("sns_message_1");

    // Act
    const source = sourceOf(event);

    // Assess
    expect(source).toBe("sns");
  });

  it("does not take an SQS-shaped event for SNS", async () => {
    // Prepare
    const event = loadEvent<{ Records: Array<Record<string, unknown>> }>("sns_message_1");
    event.Records.push({ eventSource: "aws:sqs", body: "{}" });

    // Act
    const source = sourceOf(event);

    // Assess
    expect(source).toBe("unrecognised");
    expect(await loggedKeys(event)).toEqual(["Records"]);
  });

  it("recognises an SQS event of the shard queue", () => {
    // Prepare
    const event = loadEvent("sqs_shard_1");

    // Act
    const source = sourceOf(event);

    // Assess
    expect(source).toBe("sqs");
  });

  it("does not take an SQS record without a body for SQS", async () => {
    // Prepare
    const event = loadEvent<{ Records: Array<Record<string, unknown>> }>("sqs_shard_1");
    delete event.Records[0]?.body;

    // Act
    const source = sourceOf(event);

    // Assess
    expect(source).toBe("unrecognised");
    expect(await loggedKeys(event)).toEqual(["Records"]);
  });

  it("does not take a request context with an unknown event type for WebSocket", async () => {
    // Prepare
    const event = loadEvent<{ requestContext: Record<string, unknown> }>("broadcast_1");
    event.requestContext.eventType = "HTTP";

    // Act
    const source = sourceOf(event);

    // Assess
    expect(source).toBe("unrecognised");
    expect(await loggedKeys(event)).toEqual(["requestContext", "body", "isBase64Encoded"]);
  });

  it.each([null, "text", 42, [], {}, { Records: [] }])("calls %j unknown", (event) => {
    // Prepare: the event above

    // Act
    const source = sourceOf(event);

    // Assess
    expect(source).toBe("unrecognised");
  });
});

describe("recognising the authorizer event", () => {
  it("recognises the fixture, though it also looks like a CONNECT event", () => {
    // Prepare
    const event: unknown = authorizerEvent("t");
    // Act
    const recognised = isAuthorizerEvent(event);
    // Assess
    expect(recognised).toBe(true);
    expect((event as { requestContext: { eventType: string } }).requestContext.eventType).toBe("CONNECT");
  });

  it.each([
    ["null", null],
    ["a string", "REQUEST"],
    ["a TOKEN authorizer event", { type: "TOKEN", methodArn: METHOD_ARN }],
    ["a REQUEST without methodArn", { type: "REQUEST" }],
  ])("does not take %s for one", (_name, event) => {
    expect(isAuthorizerEvent(event)).toBe(false);
  });
});

describe("unknown events", () => {
  it.each([
    ["an S3 notification", { Records: [{ eventSource: "aws:s3" }] }],
    ["an empty object", {}],
    ["null", null],
  ])("logs %s as unrecognised and answers 400 without throwing", async (_label, event) => {
    // Prepare
    const { handler, log } = setupHandler(OPEN);

    // Act
    const result = await handler(event, context);

    // Assess
    expect(result).toEqual({ statusCode: 400, body: "unrecognised event" });
    expect(log.lines).toEqual([
      expect.objectContaining({ level: "error", message: expect.stringContaining("unrecognised event") }),
    ]);
  });

  it("clears the invocation's keys afterwards", async () => {
    // Prepare
    const { handler, log } = setupHandler(OPEN);
    await handler(loadEvent("connect_1"), context);

    // Act
    await handler({}, undefined);

    // Assess
    expect(log.lines[1]?.attributes).toEqual({ eventKeys: [], requestId: undefined });
  });
});
