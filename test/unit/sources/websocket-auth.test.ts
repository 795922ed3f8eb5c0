import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { beforeEach, describe, expect, it } from "vitest";
import type { WebSocketEvent } from "../../../src/sources/websocket.js";
import { mockAws } from "../support/aws.js";
import { context, messageEvent, SENDER, setupHandler } from "../support/handler.js";
import { TEST_SECRET } from "../support/tokens.js";

/** The rights of a connection in token mode, from the authorizer context of each event, through the handler. */
const aws = mockAws();
const OTHER = "OtherConnId0000=";

beforeEach(() => {
  aws.storedConnections(SENDER, OTHER);
});

/** The handler in token mode with an inline secret: these events carry their rights, no token is read. */
function setupTokenHandler(env: Record<string, string> = {}) {
  return setupHandler({ TOKEN_SECRET: TEST_SECRET, ...env });
}

/** A broadcast from SENDER whose connection's authorizer context grants `fanout`. */
function broadcastEvent(message: unknown, fanout?: Record<string, unknown>): WebSocketEvent {
  const event = messageEvent(JSON.stringify({ action: "broadcast", message })) as WebSocketEvent & {
    requestContext: { authorizer?: unknown };
  };
  if (fanout !== undefined) {
    event.requestContext.authorizer = { principalId: "alice", sub: "alice", fanout: JSON.stringify(fanout) };
  }
  return event;
}

describe("rights per route", () => {
  it("refuses a broadcast without the right with FORBIDDEN to the sender only", async () => {
    // Prepare
    const { handler } = setupTokenHandler();

    // Act
    const result = await handler(broadcastEvent("hi", { subscribe: ["news/*"] }), context);

    // Assess
    expect(result).toEqual({ statusCode: 200 });
    expect(aws.sent()).toHaveLength(1);
    const [[to, frame] = []] = aws.sent();
    expect(to).toBe(SENDER);
    expect(JSON.parse(frame as string)).toMatchObject({ error: { code: "FORBIDDEN" } });
    expect(aws.s3.commandCalls(ListObjectsV2Command)).toEqual([]);
  });

  it("refuses a broadcast from a connection without an authorizer context (fail closed)", async () => {
    // Prepare
    const { handler } = setupTokenHandler();

    // Act
    await handler(broadcastEvent("hi"), context);

    // Assess
    expect(aws.sent().map(([to, frame]) => [to, JSON.parse(frame).error.code])).toEqual([
      [SENDER, "FORBIDDEN"],
    ]);
  });

  it("fans out a broadcast whose token grants the right", async () => {
    // Prepare
    const { handler } = setupTokenHandler();

    // Act
    await handler(broadcastEvent("hi", { broadcast: true }), context);

    // Assess
    expect(aws.sent().sort()).toEqual([
      [SENDER, '{"message":"hi"}'],
      [OTHER, '{"message":"hi"}'],
    ]);
  });

  it("takes the right away when client publishing is off", async () => {
    // Prepare
    const { handler } = setupTokenHandler({ CLIENT_PUBLISHING: "false" });

    // Act
    await handler(broadcastEvent("hi", { broadcast: true }), context);

    // Assess
    expect(aws.sent().map(([to, frame]) => [to, JSON.parse(frame).error.code])).toEqual([
      [SENDER, "FORBIDDEN"],
    ]);
  });

  it("grants every right in open mode", async () => {
    // Prepare
    const { handler } = setupTokenHandler({ AUTH_MODE: "open", TOKEN_SECRET_ARN: "" });

    // Act
    await handler(broadcastEvent("hi"), context);

    // Assess
    expect(aws.sent()).toHaveLength(2);
  });

  it("refuses a broadcast over the stack's cap with PAYLOAD_TOO_LARGE, sending nothing else", async () => {
    // Prepare
    const { handler } = setupTokenHandler({ MAX_CLIENT_MESSAGE_BYTES: "1024" });

    // Act
    await handler(broadcastEvent("a".repeat(1024), { broadcast: true }), context);

    // Assess
    expect(aws.sent().map(([to, frame]) => [to, JSON.parse(frame).error.code])).toEqual([
      [SENDER, "PAYLOAD_TOO_LARGE"],
    ]);
  });

  it("refuses a WebSocket event of another API without answering or fanning out", async () => {
    // Prepare
    const { handler, log } = setupTokenHandler({
      AUTH_MODE: "open",
      TOKEN_SECRET_ARN: "",
      EXPECTED_API_ID: "abcdef123",
    });

    // Act
    const result = await handler(broadcastEvent("hi"), context);

    // Assess
    expect(result).toEqual({ statusCode: 403, body: "forbidden" });
    expect(aws.sent()).toEqual([]);
    expect(log.lines).toContainEqual(
      expect.objectContaining({ level: "error", message: expect.stringContaining("names another API") }),
    );
  });
});
