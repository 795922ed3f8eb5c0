/** The events API Gateway sends the function, as the local gateway builds them (shaped like test/fixtures/aws-events/). */
import type { IncomingMessage } from "node:http";
import type { APIGatewayEventWebsocketRequestContextV2 } from "aws-lambda";
import { selectRouteKey } from "../../../src/contract/index.js";
import { newAwsId, newTraceId } from "../aws-ids.js";

/** What every API Gateway WebSocket event of one API shares. */
export interface ApiIdentity {
  /** The API id (10 lowercase alphanumerics on AWS). */
  apiId: string;
  /** The stage name, also the URL path. */
  stage: string;
}

/** What the gateway knows about a live (or connecting) connection. */
export interface ConnectionInfo {
  connectionId: string;
  /** The Host header the client used: the API's domain name as the client sees it. */
  domainName: string;
  sourceIp: string;
  userAgent: string | undefined;
  /** Epoch milliseconds. */
  connectedAt: number;
  /** The request id of `$connect`; AWS reuses it on `$disconnect` (see fixtures/aws-events/disconnect_1.json). */
  connectRequestId: string;
  /**
   * What the `$connect` authorizer allowed with: `{principalId, integrationLatency, ...context}`, the
   * `requestContext.authorizer` of every event of the connection ($connect included). Absent in open mode.
   */
  authorizer?: Record<string, unknown>;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `$context.requestTime` format (CLF): `24/Aug/2021:14:30:11 +0000`. */
function formatRequestTime(epochMs: number): string {
  const d = new Date(epochMs);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(
    d.getUTCMinutes(),
  )}:${pad(d.getUTCSeconds())} +0000`;
}

/** The request context of a WebSocket event, with the fields @types/aws-lambda leaves out. */
interface WebSocketRequestContext extends Omit<APIGatewayEventWebsocketRequestContextV2, "messageId"> {
  /** MESSAGE events only. */
  messageId?: string;
  identity: { sourceIp: string };
  disconnectStatusCode?: number;
  disconnectReason?: string;
  /** The `$connect` authorizer's principal and context (token mode). */
  authorizer?: Record<string, unknown>;
}

/** A WebSocket event as the Lambda receives it (CONNECT and DISCONNECT carry headers, MESSAGE a body). */
export interface WebSocketEvent {
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  queryStringParameters?: Record<string, string>;
  multiValueQueryStringParameters?: Record<string, string[]>;
  requestContext: WebSocketRequestContext;
  body?: string;
  isBase64Encoded: boolean;
}

function requestContext(
  api: ApiIdentity,
  conn: ConnectionInfo,
  routeKey: string,
  eventType: "CONNECT" | "DISCONNECT" | "MESSAGE",
  requestId: string,
  now: number,
): WebSocketRequestContext {
  return {
    routeKey,
    eventType,
    extendedRequestId: requestId,
    requestTime: formatRequestTime(now),
    messageDirection: "IN",
    stage: api.stage,
    connectedAt: conn.connectedAt,
    requestTimeEpoch: now,
    identity: { sourceIp: conn.sourceIp },
    requestId,
    domainName: conn.domainName,
    connectionId: conn.connectionId,
    apiId: api.apiId,
    ...(conn.authorizer === undefined ? {} : { authorizer: conn.authorizer }),
  };
}

/** A REQUEST authorizer's input on `$connect`, shaped like fixtures/aws-events/authorizer_1.json. */
export interface AuthorizerRequest {
  type: "REQUEST";
  methodArn: string;
  headers: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
  queryStringParameters: Record<string, string>;
  multiValueQueryStringParameters: Record<string, string[]>;
  stageVariables: Record<string, string>;
  requestContext: WebSocketRequestContext;
}

/**
 * The REQUEST authorizer event for a handshake: the `$connect` event's headers, query string and request context,
 * plus `type` and the connect method's ARN (`arn:aws:execute-api:<region>:<account>:<api>/<stage>/$connect`).
 * @param connect - the `$connect` event of the same handshake (see {@link connectEvent})
 * @param api - the API's id and stage
 * @param where - region and account of the method ARN
 */
export function authorizerEvent(
  connect: WebSocketEvent,
  api: ApiIdentity,
  where: { region: string; accountId: string },
): AuthorizerRequest {
  return {
    type: "REQUEST",
    methodArn: `arn:aws:execute-api:${where.region}:${where.accountId}:${api.apiId}/${api.stage}/$connect`,
    headers: connect.headers ?? {},
    multiValueHeaders: connect.multiValueHeaders ?? {},
    queryStringParameters: connect.queryStringParameters ?? {},
    multiValueQueryStringParameters: connect.multiValueQueryStringParameters ?? {},
    stageVariables: {},
    requestContext: connect.requestContext,
  };
}

/**
 * The `$connect` event, shaped like fixtures/aws-events/connect_1.json: the client's headers with their original
 * case plus the ones API Gateway adds, and the query string only when there is one.
 */
export function connectEvent(api: ApiIdentity, conn: ConnectionInfo, req: IncomingMessage): WebSocketEvent {
  const now = conn.connectedAt;
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] as string;
    multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), req.rawHeaders[i + 1] as string];
  }
  const port = req.socket.localPort ?? 0;
  multiValueHeaders["X-Amzn-Trace-Id"] = [newTraceId(now)];
  multiValueHeaders["X-Forwarded-For"] = [conn.sourceIp];
  multiValueHeaders["X-Forwarded-Port"] = [String(port)];
  multiValueHeaders["X-Forwarded-Proto"] = ["http"];
  const event: WebSocketEvent = {
    headers: lastValues(multiValueHeaders),
    multiValueHeaders,
    requestContext: requestContext(api, conn, "$connect", "CONNECT", conn.connectRequestId, now),
    isBase64Encoded: false,
  };
  const query = new URL(req.url ?? "/", "http://localhost").searchParams;
  if ([...query.keys()].length > 0) {
    const multiValueQueryStringParameters: Record<string, string[]> = {};
    for (const [key, value] of query) {
      multiValueQueryStringParameters[key] = [...(multiValueQueryStringParameters[key] ?? []), value];
    }
    event.queryStringParameters = lastValues(multiValueQueryStringParameters);
    event.multiValueQueryStringParameters = multiValueQueryStringParameters;
  }
  return event;
}

/**
 * The `$disconnect` event, shaped like fixtures/aws-events/disconnect_1.json (including AWS's odd fixed headers and
 * the `$connect` request id).
 */
export function disconnectEvent(
  api: ApiIdentity,
  conn: ConnectionInfo,
  statusCode: number,
  reason: string,
): WebSocketEvent {
  const headers = { Host: conn.domainName, "x-api-key": "", "X-Forwarded-For": "", "x-restapi": "" };
  const context = requestContext(api, conn, "$disconnect", "DISCONNECT", conn.connectRequestId, Date.now());
  context.disconnectStatusCode = statusCode;
  context.disconnectReason = reason;
  return {
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    requestContext: context,
    isBase64Encoded: false,
  };
}

/** A MESSAGE event, shaped like fixtures/aws-events/broadcast_1.json. Binary frames arrive base64-encoded. */
export function messageEvent(
  api: ApiIdentity,
  conn: ConnectionInfo,
  routeKey: string,
  data: Buffer,
  isBinary: boolean,
): WebSocketEvent {
  const requestId = newAwsId();
  // Key order as in broadcast_1.json, where messageId comes right after routeKey.
  const { routeKey: _, ...context } = requestContext(api, conn, routeKey, "MESSAGE", requestId, Date.now());
  return {
    requestContext: { routeKey, messageId: newAwsId(), ...context },
    body: isBinary ? data.toString("base64") : data.toString("utf8"),
    isBase64Encoded: isBinary,
  };
}

/**
 * Route selection on `$request.body.action` (`selectRouteKey` of the contracts): the action's route when a JSON
 * object body names a client action and the API has that route, else `$default` (non-JSON and binary included).
 */
export function selectRoute(routes: ReadonlySet<string>, data: Buffer, isBinary: boolean): string {
  const routeKey = selectRouteKey(isBinary ? undefined : data.toString("utf8"));
  return routes.has(routeKey) ? routeKey : "$default";
}

function lastValues(multi: Record<string, string[]>): Record<string, string> {
  return Object.fromEntries(Object.entries(multi).map(([k, v]) => [k, v[v.length - 1] as string]));
}
