import type { Capabilities } from "../capabilities.js";
import type { ConnectionStore } from "../connections.js";
import type { Dispatch } from "../dispatch.js";
import type { FanoutOptions, Send } from "../fanout.js";
import type { Log } from "../log.js";
import type { MembershipStore } from "../memberships.js";

/** What API Gateway's Lambda proxy integration expects back from a WebSocket route. */
export interface RouteResult {
  /** A non-2xx status on `$connect` refuses the connection. */
  statusCode: number;
  /** Shown to nobody on WebSocket routes without a route response; kept short. */
  body?: string;
}

/** What the WebSocket message routes receive. */
export interface MessageDependencies {
  /** The connection store. */
  store: ConnectionStore;
  /** Sends to one connection through this event's @connections endpoint. */
  send: Send;
  /** The invocation's logger. */
  log: Log;
  /** Concurrency and timeout of fan-outs and replies. */
  fanout: Pick<FanoutOptions, "concurrency" | "sendTimeoutMs">;
  /**
   * Hands a fan-out off (`dispatch.ts`): small ones run in this invocation, large ones go to the shard queue. The
   * broadcast and publish routes call it with their audience.
   */
  dispatch: Dispatch;
  /** What this connection may do (`rightsFor` of `rights.ts`); the routes ask `canSubscribe`, `canPublish`. */
  rights: Capabilities;
  /** Channel memberships; `store` is decorated by `withMembershipCleanup`, so removals clean them up too. */
  memberships: MembershipStore;
  /** The largest broadcast frame a client may send (`MAX_BROADCAST_BYTES`); default the 128 KB protocol limit. */
  maxBroadcastBytes?: number;
}
