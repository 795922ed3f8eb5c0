import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { newAwsId } from "../../../util/local-stack/aws-ids.js";
import { type SnsEnvelope, snsEvent } from "../../../util/local-stack/emulator/sns-delivery.js";
import {
  type ConnectionInfo,
  connectEvent,
  disconnectEvent,
  messageEvent,
  selectRoute,
} from "../../../util/local-stack/gateway/events.js";
import { loadEvent } from "../../support/fixtures.js";

/** The structure of a value: the same keys all the way down, each leaf replaced by its type. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, shape(v)]),
    );
  }
  return value === null ? "null" : typeof value;
}

const api = { apiId: "test-api-id", stage: "primary" };
const routes = new Set(["$connect", "$disconnect", "$default", "broadcast", "ping"]);

function connection(fixture: { requestContext: Record<string, unknown> }): ConnectionInfo {
  const ctx = fixture.requestContext as {
    connectionId: string;
    domainName: string;
    connectedAt: number;
    requestId: string;
    identity: { sourceIp: string };
  };
  return {
    connectionId: ctx.connectionId,
    domainName: ctx.domainName,
    sourceIp: ctx.identity.sourceIp,
    userAgent: undefined,
    connectedAt: ctx.connectedAt,
    connectRequestId: ctx.requestId,
  };
}

describe("events the local gateway sends to the Lambda, against the captured AWS events", () => {
  it("builds $connect like connect_1.json: same fields, same types, the client's headers plus API Gateway's", () => {
    // Prepare
    const fixture = loadEvent<{ headers: Record<string, string>; requestContext: Record<string, unknown> }>(
      "connect_1",
    );
    const added = ["X-Amzn-Trace-Id", "X-Forwarded-For", "X-Forwarded-Port", "X-Forwarded-Proto"];
    const clientHeaders = Object.entries(fixture.headers).filter(([name]) => !added.includes(name));
    const req = {
      rawHeaders: clientHeaders.flat(),
      url: "/primary",
      socket: { localPort: 443 },
    } as unknown as IncomingMessage;

    // Act
    const event = connectEvent(api, connection(fixture), req);

    // Assess
    expect(shape(event)).toEqual(shape(fixture));
    expect(event.requestContext).toEqual({
      ...fixture.requestContext,
      ...pick(event.requestContext, volatile),
    });
    expect(event.headers?.["Sec-WebSocket-Key"]).toBe(fixture.headers["Sec-WebSocket-Key"]);
    expect(event.headers?.["X-Forwarded-For"]).toBe("12.34.56.78");
  });

  it("adds the query string to $connect only when there is one", () => {
    // Prepare
    const fixture = loadEvent<{ requestContext: Record<string, unknown> }>("connect_1");
    const req = { rawHeaders: ["Host", "h"], url: "/primary?token=a&tag=x&tag=y", socket: { localPort: 1 } };

    // Act
    const event = connectEvent(api, connection(fixture), req as unknown as IncomingMessage);

    // Assess
    expect(event.queryStringParameters).toEqual({ token: "a", tag: "y" });
    expect(event.multiValueQueryStringParameters).toEqual({ token: ["a"], tag: ["x", "y"] });
  });

  it("builds $disconnect like disconnect_1.json, with the close code and reason", () => {
    // Prepare
    const fixture = loadEvent<{ requestContext: Record<string, unknown> }>("disconnect_1");

    // Act
    const event = disconnectEvent(api, connection(fixture), 1001, "Going away");

    // Assess
    expect(shape(event)).toEqual(shape(fixture));
    expect(event).toEqual({
      ...fixture,
      requestContext: { ...fixture.requestContext, ...pick(event.requestContext, volatile) },
    });
  });

  it("builds a MESSAGE like broadcast_1.json, and base64-encodes binary frames", () => {
    // Prepare
    const fixture = loadEvent<{ body: string; requestContext: Record<string, unknown> }>("broadcast_1");
    const body = Buffer.from(fixture.body, "utf8");

    // Act
    const text = messageEvent(api, connection(fixture), "broadcast", body, false);
    const binary = messageEvent(api, connection(fixture), "$default", Buffer.from([0, 255]), true);

    // Assess
    expect(shape(text)).toEqual(shape(fixture));
    expect(text.body).toBe(fixture.body);
    expect(text.requestContext.requestId).not.toBe(fixture.requestContext.requestId);
    expect(binary).toMatchObject({ body: "AP8=", isBase64Encoded: true });
  });

  it("turns SNS's SQS envelope into the SNS event Lambda receives (sns_message_1.json), field for field", () => {
    // Prepare
    const fixture = loadEvent<{
      Records: Array<{ EventSubscriptionArn: string; Sns: Record<string, unknown> }>;
    }>("sns_message_1");
    const record = fixture.Records[0] as { EventSubscriptionArn: string; Sns: Record<string, unknown> };
    const { SigningCertUrl, UnsubscribeUrl, ...rest } = record.Sns;
    const envelope = {
      ...rest,
      SigningCertURL: SigningCertUrl,
      UnsubscribeURL: UnsubscribeUrl,
    } as unknown as SnsEnvelope;

    // Act
    const event = snsEvent(envelope, record.EventSubscriptionArn);

    // Assess
    expect(event).toEqual(fixture);
  });

  it.each([
    ['{"action":"broadcast","message":1}', false, "broadcast"],
    ['{"action":"ping"}', false, "ping"],
    ['{"action":"shout"}', false, "$default"],
    ['{"action":"$connect"}', false, "$default"],
    ['{"action":7}', false, "$default"],
    ["[1]", false, "$default"],
    ["not json", false, "$default"],
    ['{"action":"ping"}', true, "$default"],
  ])("selects the route of %s (binary: %s) as %s", (body, isBinary, route) => {
    // Prepare
    const data = Buffer.from(body);

    // Act
    const selected = selectRoute(routes, data, isBinary);

    // Assess
    expect(selected).toBe(route);
  });

  it("makes ids in API Gateway's format: 16 characters ending in '=', never '+' or '/'", () => {
    // Prepare
    const count = 2000;

    // Act
    const ids = Array.from({ length: count }, newAwsId);

    // Assess
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9]{15}=$/);
    expect(new Set(ids).size).toBe(count);
  });
});

/** Fields that differ per request by nature (ids, times); everything else must equal the fixture. */
const volatile = ["requestId", "extendedRequestId", "requestTime", "requestTimeEpoch", "messageId"];

function pick(object: object, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(object).filter(([k]) => keys.includes(k)));
}
