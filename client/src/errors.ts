import { SERVICE_ERROR_CODES } from "./contract.js";

/** The codes the client raises itself, besides the service's `INVALID_ID` and `PAYLOAD_TOO_LARGE`. */
interface ClientErrorCodes {
  /** The client was closed while the request waited. */
  readonly CLOSED: "CLOSED";
  /** A publish or broadcast reused an id that is still waiting for its acknowledgement. */
  readonly DUPLICATE_ID: "DUPLICATE_ID";
  /**
   * A connection attempt failed (the handshake was refused or timed out, the token provider or the WebSocket
   * constructor threw); the client retries. Reported as an `error` event.
   */
  readonly CONNECT: "CONNECT";
  /** A request was not settled within `requestTimeoutMs` (typically: the client could not connect meanwhile). */
  readonly TIMEOUT: "TIMEOUT";
  /** A publish or broadcast with an id was sent on `1 + maxResends` connections that all closed before `accepted`. */
  readonly NOT_ACCEPTED: "NOT_ACCEPTED";
  /** The frame is over one WebSocket frame's limit and the WebSocket cannot fragment (`canFragment`). */
  readonly FRAME_TOO_LARGE: "FRAME_TOO_LARGE";
}

/** The client's codes, each its own value, from one string as the service's are (the size budget). */
const CLIENT_ERROR_CODES = /* @__PURE__ */ Object.fromEntries(
  "CLOSED DUPLICATE_ID CONNECT TIMEOUT NOT_ACCEPTED FRAME_TOO_LARGE".split(" ").map((code) => [code, code]),
) as unknown as ClientErrorCodes;

/**
 * Every error code a {@link FanoutError} can carry: the service's codes (the same table as the service's, copied
 * into `contract.ts` and checked against it by a test) and the client's own.
 */
export const ErrorCode = { ...SERVICE_ERROR_CODES, ...CLIENT_ERROR_CODES };

/** One of the error codes. A newer service may send a code this version does not list. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** What a {@link FanoutError} is about, as far as known. */
export interface ErrorContext {
  /** The action the error answers (e.g. `subscribe`). */
  action?: string;
  /** The channel the error answers. */
  channel?: string;
  /** The message id the error answers. */
  id?: string;
  /** The HTTP status of a refused handshake, when the WebSocket implementation reveals it. */
  status?: number;
  /** The limit in bytes that a refused frame exceeds. */
  limit?: number;
  /** The underlying error (a token provider's, the WebSocket's, the last connection failure). */
  cause?: unknown;
}

/** What a request is, for its errors: its action, and its channel or id where it has one. */
export type RequestContext = ErrorContext & { action: string };

/** An error the service reported in an error frame (`{"error":{"code":...}}`), or one the client raises itself. */
export class FanoutError extends Error {
  /** The machine-readable code, one of {@link ErrorCode} (e.g. `FORBIDDEN`). */
  readonly code: string;
  /** The action the error answers, when known (e.g. `subscribe`). */
  readonly action: string | undefined;
  /** The channel the error answers, when known. */
  readonly channel: string | undefined;
  /** The message id the error answers, when known. */
  readonly id: string | undefined;
  /**
   * `CONNECT` (and a `TIMEOUT` caused by one): the HTTP status that refused the handshake, when the WebSocket
   * implementation reveals it. The `ws` package does; browsers and Node's built-in WebSocket do not.
   */
  readonly status: number | undefined;
  /** `FRAME_TOO_LARGE` and `PAYLOAD_TOO_LARGE` raised before sending: the limit in bytes the frame exceeds. */
  readonly limit: number | undefined;

  constructor(code: string, message: string, context: ErrorContext = {}) {
    super(message, "cause" in context ? { cause: context.cause } : undefined);
    this.name = "FanoutError";
    this.code = code;
    this.action = context.action;
    this.channel = context.channel;
    this.id = context.id;
    this.status = context.status;
    this.limit = context.limit;
  }
}
