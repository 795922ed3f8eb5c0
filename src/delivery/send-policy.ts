/**
 * The send policy: how one send to one recipient is bounded and what a failed send means. Pure except for the timer:
 * the engine (`engine.ts`) asks {@link classifySendFailure} after every failure, and the reply to a sender
 * (`src/actions/reply.ts`) uses the same timeout and Gone test.
 */
/**
 * Sends one payload to one connection. `signal` aborts when the engine gives up on the call (per-call timeout).
 * Rejections carry the sender's error (`ConnectionsApiError`, named and with its status as the SDK names its errors,
 * or the socket's), classified by `isGone` and `isThrottled`.
 */
export type Send = (connectionId: string, data: Uint8Array, signal: AbortSignal) => Promise<void>;

/** A send did not settle within the per-call timeout. */
export class SendTimeoutError extends Error {
  override readonly name = "SendTimeoutError";

  /**
   * @param timeoutMs - the timeout that passed
   */
  constructor(readonly timeoutMs: number) {
    super(`PostToConnection did not settle within ${timeoutMs} ms`);
  }
}

/**
 * Runs `send` with a timeout of its own: a request can hang on a socket that never answers (as the SDK's did past
 * its `requestTimeout`, aws-sdk-js-v3 issues 6896, 7632), so the engine races its own timer and aborts the request.
 * @param send - the send function
 * @param connectionId - the recipient
 * @param data - the payload
 * @param timeoutMs - the timeout
 * @throws SendTimeoutError when the timer wins; otherwise whatever `send` rejects with
 */
export function sendWithTimeout(
  send: Send,
  connectionId: string,
  data: Uint8Array,
  timeoutMs: number,
): Promise<void> {
  const controller = new AbortController();
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      const error = new SendTimeoutError(timeoutMs);
      controller.abort(error);
      reject(error);
    }, timeoutMs);
    send(connectionId, data, controller.signal).then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** The HTTP status an SDK error carries, if any. */
function statusOf(error: unknown): number | undefined {
  const metadata = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata;
  return metadata?.httpStatusCode;
}

function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

/**
 * The recipient has gone. Matched by name and by status: a 410 without the `x-amzn-ErrorType` header surfaces in
 * the SDK as `Unknown` with status 410.
 * @param error - what `send` rejected with
 */
export function isGone(error: unknown): boolean {
  return nameOf(error) === "GoneException" || statusOf(error) === 410;
}

const THROTTLE_NAMES = new Set(["LimitExceededException", "TooManyRequestsException", "ThrottlingException"]);

/**
 * The account or the connection is throttled (429); worth a retry after a pause.
 * @param error - what `send` rejected with
 */
export function isThrottled(error: unknown): boolean {
  return THROTTLE_NAMES.has(nameOf(error)) || statusOf(error) === 429;
}

/**
 * The request went out on a kept-alive connection that the far end had already closed, so it got no answer.
 * Lambda freezes the process between invocations, so the agent cannot see API Gateway close idle connections and
 * reuses dead sockets; Node's documentation (`request.reusedSocket`) prescribes one immediate retry. The SDK's
 * error does not say whether the socket was reused, so a connection that dropped after API Gateway accepted the
 * request can, rarely, deliver twice: a duplicate is the lesser harm than the miss this prevents.
 * @param error - what `send` rejected with
 */
export function isConnectionReset(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return (
    code === "ECONNRESET" ||
    code === "EPIPE" ||
    (error instanceof Error && error.message === "socket hang up")
  );
}

/** How throttled sends are retried (part of the engine's `FanoutOptions`). */
export interface RetrySettings {
  /** How many times a throttled (429) send is retried before it counts as failed. */
  throttleRetries: number;
  /** The first retry waits up to this long; each further retry doubles the ceiling (full jitter). */
  retryBaseDelayMs: number;
  /** The ceiling of any one retry delay. */
  retryMaxDelayMs: number;
}

/** What to do after a send failed, decided by {@link classifySendFailure}. */
export type SendOutcome =
  /** The recipient has gone (410): remove its key, do not retry. */
  | { kind: "gone" }
  /** A kept-alive socket had been closed under the request: retry at once, once. */
  | { kind: "retryNow" }
  /** Throttled (429): retry after a random delay in `[0, ceilingMs)`. */
  | { kind: "retryAfter"; ceilingMs: number }
  /** Give up on this recipient; `reason` counts it in the summary, `timedOut` when the per-call timer won. */
  | { kind: "fail"; reason: string; timedOut: boolean };

/** The retries one recipient has had so far. Reset and throttle retries are counted apart. */
export interface RetryState {
  /** Immediate retries after a connection reset (at most one). */
  resets: number;
  /** Retries after a throttled send. */
  throttles: number;
}

/**
 * Classifies a failed send. Pure: the same error and state give the same outcome. A reset retry neither uses up a
 * throttle retry nor moves the throttle backoff on, since it says nothing about the account's request rate.
 * @param error - what the send rejected with
 * @param state - the retries this recipient has had
 * @param settings - throttle retries and backoff
 */
export function classifySendFailure(error: unknown, state: RetryState, settings: RetrySettings): SendOutcome {
  if (error instanceof SendTimeoutError) return { kind: "fail", reason: error.name, timedOut: true };
  if (isGone(error)) return { kind: "gone" };
  if (state.resets === 0 && isConnectionReset(error)) return { kind: "retryNow" };
  if (isThrottled(error) && state.throttles < settings.throttleRetries) {
    const ceilingMs = Math.min(settings.retryMaxDelayMs, settings.retryBaseDelayMs * 2 ** state.throttles);
    return { kind: "retryAfter", ceilingMs };
  }
  const status = statusOf(error);
  return {
    kind: "fail",
    reason: status === undefined ? nameOf(error) : `${nameOf(error)} (${status})`,
    timedOut: false,
  };
}
