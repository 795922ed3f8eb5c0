/**
 * The WebSocket adapter: API Gateway's CONNECT, DISCONNECT and MESSAGE events, turned into the lifecycle use cases
 * and into client requests for the route table (`src/actions/routes.ts`).
 */
import type { APIGatewayProxyWebsocketEventV2 } from "aws-lambda";
import type { ActionDependencies, RouteResult } from "../actions/dependencies.js";
import { connect, disconnect } from "../actions/lifecycle.js";
import { runRequest } from "../actions/routes.js";
import { type Dependencies, dispatchFor, fanoutSettings } from "../app/dependencies.js";
import { rightsOf } from "../auth/rights.js";
import { managementEndpoint } from "../aws/connections.js";
import { isOwnApi } from "./provenance.js";

/**
 * A WebSocket event from API Gateway. `APIGatewayProxyWebsocketEventV2` lacks the CONNECT-only fields (headers,
 * query string), which the handler does not need.
 */
export type WebSocketEvent = APIGatewayProxyWebsocketEventV2;

type EventType = WebSocketEvent["requestContext"]["eventType"];

/**
 * The WebSocket routes by event type. Every MESSAGE (each client action's route, `$default` and any other) is read
 * by the route table itself: `$default` is where API Gateway sends what matched nothing, and the request grammar is
 * the explicit not-found path (UNKNOWN_ACTION and the other error codes).
 */
const BY_EVENT_TYPE: Record<EventType, (deps: Dependencies, event: WebSocketEvent) => Promise<RouteResult>> =
  {
    CONNECT: (deps, event) => connect(deps, event.requestContext.connectionId),
    DISCONNECT: (deps, event) => disconnect(deps, event.requestContext.connectionId),
    MESSAGE: (deps, event) => message(deps, event),
  };

/**
 * Answers one WebSocket event. An event that names another API is refused with 403 and not answered to the
 * connection: a forged event's connection id may be anyone's.
 * @param deps - the dependencies of this execution environment
 * @param event - the WebSocket event
 */
export async function handle(deps: Dependencies, event: WebSocketEvent): Promise<RouteResult> {
  const { connectionId, eventType, routeKey, requestId, apiId } = event.requestContext;
  deps.log.appendKeys({ connectionId, routeKey, apiRequestId: requestId });
  if (!isOwnApi(apiId, deps.config.auth, deps.log)) return { statusCode: 403, body: "forbidden" };
  try {
    return await BY_EVENT_TYPE[eventType](deps, event);
  } catch (error) {
    // The use cases catch what they expect; this is a bug, and a thrown error would only reach API Gateway as a
    // 502 with no log of ours.
    deps.log.error("unexpected failure", { error });
    return { statusCode: 500, body: "internal error" };
  }
}

/** A client's request: the use cases get this event's endpoint, its dispatch and the connection's rights. */
async function message(deps: Dependencies, event: WebSocketEvent): Promise<RouteResult> {
  const { connectionId, requestId } = event.requestContext;
  const endpoint = managementEndpoint(deps.config.managementEndpoint, event.requestContext);
  const send = deps.senders.for(endpoint);
  const actionDeps: ActionDependencies = {
    store: deps.store,
    log: deps.log,
    send,
    fanout: fanoutSettings(deps.config),
    dispatch: dispatchFor(deps, endpoint, send, requestId),
    rights: rightsOf((event.requestContext as { authorizer?: unknown }).authorizer, deps.config.auth),
    memberships: deps.memberships,
    maxClientMessageBytes: deps.config.auth.maxClientMessageBytes,
    history: deps.history,
  };
  const { body, isBase64Encoded } = event;
  return await runRequest(actionDeps, connectionId, {
    body,
    isBase64Encoded,
    routeKey: event.requestContext.routeKey,
  });
}
