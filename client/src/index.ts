/**
 * The fanout client library: one WebSocket connection to the service that pings below API Gateway's idle
 * timeout, renews ahead of its 2-hour cap, reconnects with full-jitter backoff and a fresh token, resubscribes from
 * the last position it delivered (so that no message of a channel with history is lost or repeated), asks for a
 * channel's newest messages on demand, reports why it cannot connect, and refuses frames the platform would not
 * deliver.
 *
 * @packageDocumentation
 */
export { backoffDelay } from "./backoff.js";
export { createClient } from "./client.js";
export { MAX_FRAME_BYTES, MAX_MESSAGE_BYTES } from "./contract.js";
export { ErrorCode, type ErrorContext, FanoutError } from "./errors.js";
export type { ClientOptions, SocketConstructor, SocketLike } from "./options.js";
export type {
  BroadcastMessage,
  ChannelMessage,
  ClientEvents,
  ConnectionState,
  FanoutClient,
  Recovery,
} from "./types.js";
