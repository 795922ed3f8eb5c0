import type { AuthConfig } from "../app/config.js";
import type { Log } from "../app/log.js";

/**
 * Refusing events that did not come from this stack's own API or topic: the API's check is here, for the WebSocket
 * adapter and the authorizer; the topic's is in `sns.ts`. Only API Gateway and SNS may invoke the function (its
 * resource policy names them, with source ARNs), but anyone granted `lambda:InvokeFunction` in the account could
 * hand it a made-up event: a WebSocket MESSAGE naming a connection id, or an SNS record, and the function would fan
 * it out. The ids of the real sources are configuration, so a forged event must also guess them.
 */

/**
 * Whether a WebSocket (or authorizer) event names this stack's API. Logs the refusal.
 * @param apiId - `requestContext.apiId` as received (anything, for a hostile event)
 * @param auth - the expected API id, if configured
 * @param log - the logger
 */
export function isOwnApi(apiId: unknown, auth: Pick<AuthConfig, "expectedApiId">, log: Log): boolean {
  if (auth.expectedApiId === undefined || apiId === auth.expectedApiId) return true;
  log.error("event refused: it names another API (a forged invocation?)", {
    apiId: typeof apiId === "string" ? apiId.slice(0, 64) : typeof apiId,
    expectedApiId: auth.expectedApiId,
  });
  return false;
}
