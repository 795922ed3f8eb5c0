/**
 * The fanout client library: one WebSocket connection to the service that pings below API Gateway's idle
 * timeout, renews ahead of its 2-hour cap, reconnects with full-jitter backoff and a fresh token, and resubscribes.
 *
 * @packageDocumentation
 */
export { backoffDelay } from "./backoff.js";
export {
  type BroadcastMessage,
  type ChannelMessage,
  type ClientEvents,
  type ClientOptions,
  type ConnectionState,
  createClient,
  type FanoutClient,
  type SocketConstructor,
  type SocketLike,
} from "./client.js";
export { FanoutError } from "./errors.js";
