/**
 * The client actions and the routes of the WebSocket API: what a client may send, and how API Gateway picks the
 * route of a request.
 */

/**
 * The client actions, the value of a request's `action` field that API Gateway routes on
 * (`$request.body.action`). Each is also a route key of the API. `src/protocol/requests.ts` gives each one its
 * grammar and `src/actions/routes.ts` its use case, both typed `{ [A in ClientAction]: … }`, so a name added here
 * without an entry there (or the reverse) does not compile.
 */
export const CLIENT_ACTIONS = [
  "broadcast",
  "ping",
  // Channels (docs/channels.md).
  "subscribe",
  "unsubscribe",
  "publish",
  // Channel history (docs/channels.md#history).
  "history",
] as const;

/** One client action. */
export type ClientAction = (typeof CLIENT_ACTIONS)[number];

/**
 * The routes no request can select: `$connect` and `$disconnect` are lifecycle events, and `$default` is where API
 * Gateway sends every request whose `action` matches no other route (the handler answers it with an error frame).
 */
const LIFECYCLE_ROUTE_KEYS = ["$connect", "$disconnect", "$default"] as const;

/** One route key of the API. */
export type RouteKey = (typeof LIFECYCLE_ROUTE_KEYS)[number] | ClientAction;

/** Every route of the WebSocket API, all integrated with the one handler function. */
export const ROUTE_KEYS: readonly RouteKey[] = /* @__PURE__ */ (
  LIFECYCLE_ROUTE_KEYS as readonly RouteKey[]
).concat(CLIENT_ACTIONS);

/**
 * The client actions that fan a client's message out to others: the stage throttles them more tightly than the
 * rest (docs/security.md).
 */
export const PUBLISHING_ACTIONS = ["broadcast", "publish"] as const satisfies readonly ClientAction[];

/**
 * Tells whether a value names a client action.
 * @param value - typically a request's `action` field
 */
export function isClientAction(value: unknown): value is ClientAction {
  return typeof value === "string" && (CLIENT_ACTIONS as readonly string[]).includes(value);
}

/**
 * A request's text: `{"action":…}` followed by the action's fields, so that a tool that sends requests names its
 * action through {@link ClientAction} and a renamed action fails to compile there too.
 * @param action - the action
 * @param fields - the action's fields (`message` for a broadcast)
 */
export function clientRequest(action: ClientAction, fields: Readonly<Record<string, unknown>> = {}): string {
  return JSON.stringify({ action, ...fields });
}

/**
 * API Gateway's route selection for a request (`$request.body.action`): the action's route when a JSON text frame
 * names one, else `$default` (binary frames, text that is not a JSON object, unknown or non-string actions). The
 * local stack selects routes with it; the deployed API does the same by its route keys.
 * @param body - the frame's text, or undefined for a binary frame
 */
export function selectRouteKey(body: string | undefined): RouteKey {
  if (body === undefined) return "$default";
  let request: unknown;
  try {
    request = JSON.parse(body);
  } catch {
    // Not JSON (or nested past the parser's depth): API Gateway cannot evaluate the expression either.
    return "$default";
  }
  if (typeof request !== "object" || request === null || Array.isArray(request)) return "$default";
  const action = (request as { action?: unknown }).action;
  return isClientAction(action) ? action : "$default";
}
