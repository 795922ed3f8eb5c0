import { ALL_RIGHTS, type Capabilities } from "./capabilities.js";
import type { Config } from "./config.js";
import type { WebSocketEvent } from "./events.js";

/**
 * What the connection that sent `event` may do. The handler fills `MessageDependencies.rights` with this one
 * call, and the routes ask `canBroadcast`, `canSubscribe` and `canPublish` of `capabilities.ts`.
 *
 * Open mode for now: every right, as CONTRACT.md says of anonymous connections. The tokens wiring replaces this
 * body (the auth mode from `config`, `capabilitiesFromContext(event.requestContext.authorizer, mode)`,
 * `withClientPublishing`); nothing else changes.
 * @param _event - the WebSocket event (its `requestContext.authorizer` carries the token's rights)
 * @param _config - the function's configuration
 */
export function rightsFor(_event: WebSocketEvent, _config: Config): Capabilities {
  return ALL_RIGHTS;
}
