import type { APIGatewayProxyWebsocketEventV2, SNSEvent, SQSEvent } from "aws-lambda";

/**
 * A WebSocket event from API Gateway. `APIGatewayProxyWebsocketEventV2` lacks the CONNECT-only fields
 * (headers, query string), which the handler does not need.
 */
export type WebSocketEvent = APIGatewayProxyWebsocketEventV2;

/** What the handler recognised in an incoming event. */
export type IncomingEvent =
  | { kind: "websocket"; event: WebSocketEvent }
  | { kind: "sns"; event: SNSEvent }
  | { kind: "sqs"; event: SQSEvent }
  | { kind: "unknown"; keys: string[] };

const WEBSOCKET_EVENT_TYPES = new Set(["CONNECT", "DISCONNECT", "MESSAGE"]);

/**
 * Recognises an event by its shape: a WebSocket event has a request context with a connection id, an event type
 * and a route key; an SNS event has records whose `EventSource` is `aws:sns`; an SQS event (the fan-out shard
 * queue's event source mapping) has records whose `eventSource` is `aws:sqs` (lower-case key, unlike SNS's).
 * @param event - whatever Lambda was invoked with
 */
export function classifyEvent(event: unknown): IncomingEvent {
  if (!isObject(event)) return { kind: "unknown", keys: [] };
  const context = event.requestContext;
  if (
    isObject(context) &&
    typeof context.connectionId === "string" &&
    typeof context.routeKey === "string" &&
    typeof context.eventType === "string" &&
    WEBSOCKET_EVENT_TYPES.has(context.eventType)
  ) {
    return { kind: "websocket", event: event as unknown as WebSocketEvent };
  }
  const records = event.Records;
  if (
    Array.isArray(records) &&
    records.length > 0 &&
    records.every((record) => isObject(record) && record.EventSource === "aws:sns" && isObject(record.Sns))
  ) {
    return { kind: "sns", event: event as unknown as SNSEvent };
  }
  if (
    Array.isArray(records) &&
    records.length > 0 &&
    records.every(
      (record) =>
        isObject(record) &&
        record.eventSource === "aws:sqs" &&
        typeof record.messageId === "string" &&
        typeof record.body === "string",
    )
  ) {
    return { kind: "sqs", event: event as unknown as SQSEvent };
  }
  return { kind: "unknown", keys: Object.keys(event).slice(0, 20) };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
