import type { Capabilities } from "../capabilities.js";
import type { ConnectionStore } from "../connections.js";
import type { FanoutOptions, Send } from "../fanout.js";
import type { Log } from "../log.js";

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
  /** What the sender may do (`rightsFor` in src/rights.ts: its token's rights, or every right in open mode). */
  rights: Capabilities;
  /** The largest broadcast frame a client may send (`MAX_BROADCAST_BYTES`); default the 128 KB protocol limit. */
  maxBroadcastBytes?: number;
}
