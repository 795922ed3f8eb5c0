import { describe, expect, it } from "vitest";
import type { WebSocketEvent } from "../../../src/sources/websocket.js";
import { loadEvent } from "../../support/fixtures.js";
import { mockAws } from "../support/aws.js";
import { context, messageEvent, SENDER, setupHandler } from "../support/handler.js";

/** The action that runs is the route API Gateway chose: the WebSocket adapter, over the real dependencies. */
const aws = mockAws();
const OPEN = { AUTH_MODE: "open" };

describe("WebSocket: the route and the request", () => {
  it("runs what API Gateway routed: a broadcast routed as a ping is refused with ROUTE_MISMATCH, and reaches no one", async () => {
    // Prepare: the captured broadcast, its route edited to the one a parser that keeps the first of two "action"
    // fields would choose
    aws.storedConnections(SENDER, "other-connection=");
    const event = loadEvent<WebSocketEvent>("broadcast_1");
    event.requestContext.routeKey = "ping";
    const { handler, log } = setupHandler(OPEN);

    // Act
    const result = await handler(event, context);

    // Assess
    expect(result).toEqual({ statusCode: 200 });
    expect(aws.sent()).toEqual([
      [
        SENDER,
        JSON.stringify({
          error: {
            code: "ROUTE_MISMATCH",
            message:
              'The request was routed as "ping" but names the action "broadcast"; send one "action" field, such as {"action":"broadcast","message":"hello"}.',
            action: "broadcast",
          },
        }),
      ],
    ]);
    expect(log.find("fan-out dispatched")).toEqual([]);
  });

  it.each([
    ["a known action", '{"action":"ping"}'],
    ["two action fields, the last a broadcast", '{"action":"ping","action":"broadcast","message":"x"}'],
  ])("refuses %s that reached $default: API Gateway did not route it to that action", async (_, body) => {
    // Prepare
    aws.storedConnections(SENDER, "other-connection=");
    const { handler } = setupHandler(OPEN);

    // Act
    await handler(messageEvent(body, "$default"), context);

    // Assess: one error to the sender, nothing else sent
    expect(aws.sent()).toHaveLength(1);
    expect(JSON.parse(aws.sent()[0]?.[1] ?? "{}")).toMatchObject({ error: { code: "ROUTE_MISMATCH" } });
  });
});
