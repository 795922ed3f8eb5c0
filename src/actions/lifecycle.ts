/**
 * The connection's lifecycle: `$connect` stores it, `$disconnect` removes it (and, through the decorated store, its
 * memberships).
 */
import type { Log } from "../app/log.js";
import type { ConnectionStore } from "../stores/connections.js";
import type { RouteResult } from "./dependencies.js";

/** What the lifecycle use cases need. */
export interface LifecycleDependencies {
  /** The connection store. */
  store: ConnectionStore;
  /** The invocation's logger. */
  log: Log;
}

/**
 * `$connect`: stores the connection. If the store fails, a 500 makes API Gateway refuse the handshake, so the
 * client knows to retry instead of holding a connection that no fan-out would reach.
 * @param deps - the store and the log
 * @param connectionId - the new connection
 */
export async function connect(deps: LifecycleDependencies, connectionId: string): Promise<RouteResult> {
  return await storeStep(deps, () => deps.store.add(connectionId), {
    done: "connected",
    failed: "storing the connection failed; refusing it",
  });
}

/**
 * `$disconnect`: removes the connection. A failure is only logged: the connection is gone either way, and the
 * next fan-out's 410 or the bucket's lifecycle rule removes the key.
 * @param deps - the store and the log
 * @param connectionId - the closed connection
 */
export async function disconnect(deps: LifecycleDependencies, connectionId: string): Promise<RouteResult> {
  return await storeStep(deps, () => deps.store.remove(connectionId), {
    done: "disconnected",
    failed: "removing the connection failed; a later fan-out or the lifecycle rule will",
  });
}

/** Runs one store call: 200 and an INFO line, or 500 and an ERROR line with the store's error. */
async function storeStep(
  deps: LifecycleDependencies,
  step: () => Promise<void>,
  lines: { done: string; failed: string },
): Promise<RouteResult> {
  try {
    await step();
  } catch (error) {
    deps.log.error(lines.failed, { error });
    return { statusCode: 500, body: "connection store unavailable" };
  }
  deps.log.info(lines.done);
  return { statusCode: 200 };
}
