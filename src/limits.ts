/**
 * Limits that AWS enforces on API Gateway WebSocket APIs, mirrored by the handler, the local stack and the CLIs.
 * Source: "Amazon API Gateway quotas for configuring and running a WebSocket API" (AWS documentation).
 */

/** Largest WebSocket message API Gateway accepts or sends: 128 KB. */
export const MAX_MESSAGE_BYTES = 128 * 1024;

/** Largest single WebSocket frame: 32 KB. A larger frame closes the connection with 1009 (message too big). */
export const MAX_FRAME_BYTES = 32 * 1024;

/** A connection with no traffic for this long is closed by API Gateway: 10 minutes. */
export const IDLE_TIMEOUT_MS = 10 * 60 * 1000;

/** No connection lives longer than this: 2 hours. */
export const MAX_CONNECTION_MS = 2 * 60 * 60 * 1000;

/** API Gateway gives up on an integration (the Lambda) after 29 seconds. */
export const INTEGRATION_TIMEOUT_MS = 29 * 1000;

/** The key prefix of the connection store when none is configured. */
export const DEFAULT_CONNECTION_PREFIX = "active-connections";
