import { describe, expect, it } from "vitest";
import { classifyEvent } from "../../src/events.js";
import { loadEvent } from "../support/fixtures.js";

describe("classifyEvent", () => {
  it.each(["connect_1", "disconnect_1", "broadcast_1"] as const)(
    "recognises %s as a WebSocket event",
    (name) => {
      // Prepare
      const event = loadEvent(name);

      // Act
      const incoming = classifyEvent(event);

      // Assess
      expect(incoming).toEqual({ kind: "websocket", event });
    },
  );

  it("recognises an SNS event", () => {
    // Prepare
    const event = loadEvent("sns_message_1");

    // Act
    const incoming = classifyEvent(event);

    // Assess
    expect(incoming).toEqual({ kind: "sns", event });
  });

  it("does not take an SQS-shaped event for SNS", () => {
    // Prepare
    const event = loadEvent<{ Records: Array<Record<string, unknown>> }>("sns_message_1");
    event.Records.push({ eventSource: "aws:sqs", body: "{}" });

    // Act
    const incoming = classifyEvent(event);

    // Assess
    expect(incoming).toEqual({ kind: "unknown", keys: ["Records"] });
  });

  it("recognises an SQS event of the shard queue", () => {
    // Prepare
    const event = loadEvent("sqs_shard_1");

    // Act
    const incoming = classifyEvent(event);

    // Assess
    expect(incoming).toEqual({ kind: "sqs", event });
  });

  it("does not take an SQS record without a body for SQS", () => {
    // Prepare
    const event = loadEvent<{ Records: Array<Record<string, unknown>> }>("sqs_shard_1");
    delete event.Records[0]?.body;

    // Act
    const incoming = classifyEvent(event);

    // Assess
    expect(incoming).toEqual({ kind: "unknown", keys: ["Records"] });
  });

  it("does not take a request context with an unknown event type for WebSocket", () => {
    // Prepare
    const event = loadEvent<{ requestContext: Record<string, unknown> }>("broadcast_1");
    event.requestContext.eventType = "HTTP";

    // Act
    const incoming = classifyEvent(event);

    // Assess
    expect(incoming).toEqual({ kind: "unknown", keys: ["requestContext", "body", "isBase64Encoded"] });
  });

  it.each([null, "text", 42, [], {}, { Records: [] }])("calls %j unknown", (event) => {
    // Prepare: the event above

    // Act
    const incoming = classifyEvent(event);

    // Assess
    expect(incoming.kind).toBe("unknown");
  });
});
