/**
 * The limits of the service: those AWS enforces on API Gateway WebSocket APIs, which the handler, the local stack
 * and the CLIs mirror ("Amazon API Gateway quotas for configuring and running a WebSocket API"), and those of the
 * protocol and of tokens, which the CLIs check before sending.
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

/**
 * The deepest a client's message may nest arrays and objects. `JSON.parse` does not recurse, but `JSON.stringify`
 * does, and runs out of stack somewhere between 4,000 and 5,000 levels depending on what is already on the stack:
 * about 8 KB of `[`. A fixed limit well below that gives a stable answer; deeper JSON is also beyond what many
 * receivers parse (Python's `json`, 1,000 levels by default recursion).
 */
export const MAX_MESSAGE_DEPTH = 1000;

/** A channel name is at most this many characters (all ASCII, so also bytes). */
export const MAX_CHANNEL_LENGTH = 128;

/** A client-chosen id is at most this many characters. */
export const MAX_ID_LENGTH = 64;

/**
 * The most messages one recovery sends (a `subscribe` with `since`): one by one, in order, from the subscribe's own
 * invocation, within API Gateway's 29 s integration timeout at a few milliseconds a send. Ten seconds away from a
 * channel of 20 messages a second is 200. A larger recovery is refused (RECOVERY_TOO_LARGE): the client reloads its
 * state instead of being flooded.
 */
export const MAX_RECOVERY_MESSAGES = 500;

/** The most messages one `history` request returns (its `limit`); one frame carries them, so fewer if they are large. */
export const MAX_HISTORY_LIMIT = 100;

/** The messages a `history` request without `limit` returns. */
export const DEFAULT_HISTORY_LIMIT = 10;

/** A connection holds at most this many subscriptions. */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 50;

/** At most this many patterns per list of a token's rights: a token is capped at 4 KB anyway; this bounds the matching work. */
export const MAX_PATTERNS = 50;

/** Tokens travel in the query string; 4 KB is ten times a typical token and well under URL limits. */
export const MAX_TOKEN_LENGTH = 4096;

/** The longest `sub` accepted: it is logged and passed on in every event's request context. */
export const MAX_SUBJECT_LENGTH = 256;

/** RFC 7518 §3.2: an HMAC key must be at least as long as the hash output (32 bytes for HS256). */
export const MIN_SECRET_BYTES = 32;
