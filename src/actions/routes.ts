import { hasRight, type Right } from "../auth/rights.js";
import type { ClientAction } from "../contract/actions.js";
import { forbidden } from "../protocol/errors.js";
import { type ClientRequest, parseRequest, type RequestOf } from "../protocol/requests.js";
import { broadcast } from "./broadcast.js";
import type { ActionDependencies, RouteResult } from "./dependencies.js";
import { history } from "./history.js";
import { subscribe, unsubscribe } from "./membership.js";
import { ping } from "./ping.js";
import { publish } from "./publish.js";
import { rejectRequest } from "./reply.js";

/** What one client action does: the right it needs, if any, and its use case. */
interface Route<A extends ClientAction> {
  /**
   * The right the action needs, checked in {@link runRequest} after the request reads and before the use case
   * runs, for the request's channel when it has one.
   */
  right: Right | undefined;
  /** The use case. */
  run(deps: ActionDependencies, connectionId: string, request: RequestOf<A>): Promise<RouteResult>;
}

/**
 * The route table: every client action, with its right and its use case. How each request reads is the protocol's
 * (`REQUEST_GRAMMAR` of `src/protocol/requests.ts`); adding an action is a name in `CLIENT_ACTIONS`, an entry
 * there, one here and its use case, and the compiler refuses one without the others.
 */
const ROUTES: { [A in ClientAction]: Route<A> } = {
  broadcast: { right: "broadcast", run: broadcast },
  ping: { right: undefined, run: ping },
  subscribe: { right: "subscribe", run: subscribe },
  // Leaving a channel never needs a right: a token's rights may have changed since the subscribe.
  unsubscribe: { right: undefined, run: unsubscribe },
  publish: { right: "publish", run: publish },
  // Whoever may hear a channel may read what it said.
  history: { right: "subscribe", run: history },
};

/**
 * Runs one request: reads it, checks the right its action needs, and runs the action's use case. A request that
 * does not read, or that the connection has no right to, is refused to the sender alone; the right is checked
 * before anything else about the action's content, so a connection without it learns nothing from the size or
 * shape of its message.
 * @param deps - store, send, log, rights, dispatch and settings
 * @param connectionId - the sender
 * @param frame - the frame's text and encoding as API Gateway passes them, and the route it chose for it
 */
export async function runRequest(
  deps: ActionDependencies,
  connectionId: string,
  frame: { body: string | undefined; isBase64Encoded: boolean; routeKey: string },
): Promise<RouteResult> {
  const parsed = parseRequest(frame.body, frame.isBase64Encoded, frame.routeKey);
  if (!parsed.ok) return await rejectRequest(deps, connectionId, parsed.error);
  const request: ClientRequest = parsed.value;
  // The table pairs each name with its own request type; TypeScript cannot follow that through an index.
  const route = ROUTES[request.action] as Route<ClientAction>;
  const channel = "channel" in request ? request.channel : undefined;
  if (route.right !== undefined && !hasRight(deps.rights, route.right, channel)) {
    return await rejectRequest(
      deps,
      connectionId,
      forbidden(route.right, { channel, id: idOf(request), action: request.action }),
    );
  }
  return await route.run(deps, connectionId, request as RequestOf<ClientAction>);
}

function idOf(request: ClientRequest): string | undefined {
  return "id" in request ? request.id : undefined;
}
