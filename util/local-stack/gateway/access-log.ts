/**
 * The stage's access log as the local gateway writes it: one record per WebSocket request ($connect, a message,
 * $disconnect), with the fields (and order) of the deployed stage's access log format
 * (deployment/constructs/websocket-api.ts).
 */
import type { WebSocketEvent } from "./events.js";
import type { IntegrationResult } from "./integration.js";

/**
 * One access log line, rendered as API Gateway renders `$context` variables in a JSON format: every value a string,
 * "-" when there is none.
 */
export interface AccessLogRecord {
  requestId: string;
  connectionId: string;
  routeKey: string;
  eventType: "CONNECT" | "MESSAGE" | "DISCONNECT";
  status: string;
  /** `$context.requestTimeEpoch`, milliseconds. */
  requestTime: string;
  sourceIp: string;
  integrationStatus: string;
  integrationLatency: string;
  integrationError: string;
  errorMessage: string;
}

/** The stage access log record of one request, rendered as API Gateway renders `$context` variables. */
export function accessRecord(event: WebSocketEvent, result: IntegrationResult): AccessLogRecord {
  return record(event, {
    status: result.status,
    integrationStatus: result.integrationStatus,
    integrationLatency: result.latency,
    integrationError: result.integrationErrorMessage,
    errorMessage: result.errorMessage,
  });
}

/** The access log line of a handshake the authorizer refused: no integration ran. */
export function authorizerAccessRecord(
  event: WebSocketEvent,
  status: number,
  errorMessage: string | undefined,
  latency: number,
): AccessLogRecord {
  return record(event, {
    status,
    integrationStatus: undefined,
    integrationLatency: latency > 0 ? latency : undefined,
    integrationError: undefined,
    errorMessage,
  });
}

type Outcome = Record<
  "status" | "integrationStatus" | "integrationLatency" | "integrationError" | "errorMessage",
  string | number | undefined
>;

function record(event: WebSocketEvent, outcome: Outcome): AccessLogRecord {
  const ctx = event.requestContext;
  const text = (value: string | number | undefined) => (value === undefined ? "-" : String(value));
  return {
    requestId: ctx.requestId,
    connectionId: ctx.connectionId,
    routeKey: ctx.routeKey,
    eventType: ctx.eventType,
    status: text(outcome.status),
    requestTime: text(ctx.requestTimeEpoch),
    sourceIp: ctx.identity.sourceIp,
    integrationStatus: text(outcome.integrationStatus),
    integrationLatency: text(outcome.integrationLatency),
    integrationError: text(outcome.integrationError),
    errorMessage: text(outcome.errorMessage),
  };
}
