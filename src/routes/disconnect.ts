import type { ConnectionStore } from "../connections.js";
import type { Log } from "../log.js";
import type { RouteResult } from "./types.js";

/**
 * `$disconnect`: removes the connection. A failure is only logged: the connection is gone either way, and the
 * next fan-out's 410 or the bucket's lifecycle rule removes the key.
 * @param deps - the store and the log
 * @param connectionId - the closed connection
 */
export async function disconnect(
  deps: { store: ConnectionStore; log: Log },
  connectionId: string,
): Promise<RouteResult> {
  try {
    await deps.store.remove(connectionId);
  } catch (error) {
    deps.log.error("removing the connection failed; a later fan-out or the lifecycle rule will", { error });
    return { statusCode: 500, body: "connection store unavailable" };
  }
  deps.log.info("disconnected");
  return { statusCode: 200 };
}
