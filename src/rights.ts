import { type Capabilities, capabilitiesFromContext, withClientPublishing } from "./capabilities.js";
import type { Config } from "./config.js";
import type { WebSocketEvent } from "./events.js";

/**
 * What the connection that sent this event may do. In token mode the rights come from the token, which the
 * `$connect` authorizer validated and API Gateway passes to every later event of the connection as
 * `requestContext.authorizer.fanout` (a JSON string); no lookup is made. Open mode grants every right. Either way
 * `CLIENT_PUBLISHING=false` takes broadcast and publish away.
 * @param event - the WebSocket event
 * @param config - the function's configuration
 */
export function rightsFor(event: WebSocketEvent, config: Config): Capabilities {
  const context = event.requestContext as { authorizer?: unknown };
  return withClientPublishing(
    capabilitiesFromContext(context.authorizer, config.auth.mode),
    config.auth.clientPublishing,
  );
}
