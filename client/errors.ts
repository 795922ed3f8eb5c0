/**
 * An error the service reported in an error frame (`{"error":{"code":...}}`), or one the client raises itself.
 *
 * Service codes: INVALID_JSON, NOT_AN_OBJECT, MISSING_ACTION, UNKNOWN_ACTION, MISSING_MESSAGE, PAYLOAD_TOO_LARGE,
 * BINARY_NOT_SUPPORTED, INTERNAL_ERROR, FORBIDDEN, INVALID_CHANNEL, MISSING_CHANNEL, TOO_MANY_SUBSCRIPTIONS,
 * INVALID_ID. Client codes: CLOSED (the client was closed while the request waited), INVALID_ID (rejected before
 * sending), DUPLICATE_ID (an id that is still waiting for its acknowledgement), CONNECT (the token provider or the
 * WebSocket constructor threw; the client retries).
 */
export class FanoutError extends Error {
  /** The machine-readable code, e.g. `FORBIDDEN`. */
  readonly code: string;
  /** The action the error answers, when the service said so (e.g. `subscribe`). */
  readonly action: string | undefined;
  /** The channel the error answers, when the service said so. */
  readonly channel: string | undefined;
  /** The message id the error answers, when the service said so. */
  readonly id: string | undefined;

  constructor(
    code: string,
    message: string,
    context: { action?: string; channel?: string; id?: string } = {},
  ) {
    super(message);
    this.name = "FanoutError";
    this.code = code;
    this.action = context.action;
    this.channel = context.channel;
    this.id = context.id;
  }
}
