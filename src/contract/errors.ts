/**
 * The error codes of the protocol, each with what it means: the one table. The server sends them as
 * `{"error":{"code","message",…}}` to the sender of a refused request only; the texts of each refusal are written
 * in `src/protocol/errors.ts`, and the client library takes its list of codes from here.
 */
export const ERROR_CODES = {
  INVALID_JSON: "the request is not JSON (or is empty)",
  NOT_AN_OBJECT: "the request is JSON but not an object (an array, a string, null...)",
  MISSING_ACTION: 'the object has no "action" field',
  UNKNOWN_ACTION: '"action" names none of the client actions',
  MISSING_MESSAGE: 'a broadcast or publish without a "message" field ("message": null is a message)',
  PAYLOAD_TOO_LARGE:
    "the frame every recipient would receive exceeds the 128 KB WebSocket message limit (or the stack's own cap)",
  MESSAGE_TOO_DEEP: "the message nests arrays or objects more than 1,000 levels deep",
  BINARY_NOT_SUPPORTED: "a binary frame; the protocol is JSON text",
  INTERNAL_ERROR: "a store or the shard queue failed; the request may be sent again as it is",
  FORBIDDEN: "the connection's token lacks the right for this action or channel",
  MISSING_CHANNEL: 'subscribe, unsubscribe, publish or history without a "channel" field',
  INVALID_CHANNEL: "the channel name breaks the grammar (length, empty segments, characters)",
  TOO_MANY_SUBSCRIPTIONS: "the connection already holds the most subscriptions allowed",
  INVALID_ID: '"id" is present but not 1 to 64 of letters, digits, "_" and "-"',
  INVALID_POSITION:
    '"since" is present but not a position the service sent ({"epoch":E,"offset":N}, or {"offset":0})',
  INVALID_LIMIT: '"limit" is present but not a whole number from 1 to 100',
  RECOVERY_TOO_LARGE:
    "more messages were published since the position sent than one recovery sends; subscribe without since and reload",
  NO_HISTORY: "the stack keeps no history for this channel",
  ROUTE_MISMATCH:
    'the request names another action than the route API Gateway chose for it (two "action" fields, say); nothing ran',
} as const;

/** One of the protocol's error codes. */
export type ErrorCode = keyof typeof ERROR_CODES;
