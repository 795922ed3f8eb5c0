import type { ConnectionStore } from "../connections.js";
import type { Log } from "../log.js";
import type { RouteResult } from "./types.js";

/**
 * `$connect`: stores the connection. If the store fails, a 500 makes API Gateway refuse the handshake, so the
 * client knows to retry instead of holding a connection that no fan-out would reach.
 * @param deps - the store and the log
 * @param connectionId - the new connection
 */
export async function connect(
  deps: { store: ConnectionStore; log: Log },
  connectionId: string,
): Promise<RouteResult> {
  try {
    await deps.store.add(connectionId);
  } catch (error) {
    deps.log.error("storing the connection failed; refusing it", { error });
    return { statusCode: 500, body: "connection store unavailable" };
  }
  deps.log.info("connected");
  return { statusCode: 200 };
}
