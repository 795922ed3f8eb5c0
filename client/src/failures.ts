/**
 * The errors the client raises itself, with texts that say what happened and what to look at. Kept apart from the
 * state machine (client.ts) so that it reads as the states and these read as the messages.
 */
import { FanoutError, type RequestContext } from "./errors.js";

/** Why a connection attempt failed, as the client saw it. */
export type AttemptFailure =
  | { kind: "token"; error: unknown }
  | { kind: "constructor"; error: unknown }
  | { kind: "timeout"; afterMs: number }
  | { kind: "closed"; error: unknown; code: number | undefined };

/**
 * The `CONNECT` error of a failed attempt. The HTTP status of a refused handshake is in it when the WebSocket's
 * error event reveals it: the `ws` package says `Unexpected server response: 401`; browsers and Node's built-in
 * WebSocket say nothing (an error event without a message, then close code 1006).
 * @param where - the URL without its query (which may hold a token)
 * @param failure - what went wrong
 * @param secret - the token of the attempt, removed from any text quoted
 */
export function connectError(
  where: string,
  failure: AttemptFailure,
  secret: string | undefined,
): FanoutError {
  const quote = (text: string) =>
    secret ? text.split(secret).join("<token>").split(encodeURIComponent(secret)).join("<token>") : text;
  const prefix = `cannot connect to ${where}: `;
  switch (failure.kind) {
    case "token":
      return new FanoutError("CONNECT", `${prefix}the token provider failed: ${quote(text(failure.error))}`, {
        cause: failure.error,
      });
    case "constructor":
      return new FanoutError(
        "CONNECT",
        `${prefix}the WebSocket constructor threw: ${quote(text(failure.error))}`,
        {
          cause: failure.error,
        },
      );
    case "timeout":
      return new FanoutError(
        "CONNECT",
        `${prefix}the handshake did not finish within ${failure.afterMs} ms (connectTimeoutMs)`,
      );
    default: {
      // The ws package's error says `Unexpected server response: 401` or `connect ECONNREFUSED …`; browsers' and
      // Node's built-in WebSocket's error events say nothing.
      const event = failure.error as { message?: unknown; error?: unknown } | undefined;
      const detail = text(event?.message || event?.error || "");
      const status = /Unexpected server response: (\d{3})/.exec(detail)?.[1];
      const closed = `(close code ${failure.code ?? "none"})`;
      const why =
        status !== undefined
          ? `the handshake was refused with HTTP ${status}${REFUSALS[status] ?? ""}`
          : detail
            ? `the connection failed before it opened: ${quote(detail)} ${closed}`
            : `the connection closed before it opened ${closed}; this WebSocket does not say why (browsers never do): the API's access log does`;
      return new FanoutError("CONNECT", prefix + why, {
        status: status === undefined ? undefined : Number(status),
        cause: failure.error,
      });
    }
  }
}

/** What the service means by a handshake's status. */
const REFUSALS: Record<string, string> = {
  "401": " (the token is missing, invalid or expired)",
  "403": " (the page's Origin is not allowed)",
};

/** An error's message, or the value as text. */
function text(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The `TIMEOUT` of a request not settled within `requestTimeoutMs`; while the client cannot connect, it carries the
 * last attempt's failure (as `cause`, and its `status`).
 * @param context - the request
 * @param afterMs - `requestTimeoutMs`
 * @param lastFailure - the last failed connection attempt, when no connection is open
 */
export function timeoutError(
  context: RequestContext,
  afterMs: number,
  lastFailure: FanoutError | undefined,
): FanoutError {
  const about = [context.channel && `channel ${context.channel}`, context.id && `id ${context.id}`].filter(
    Boolean,
  );
  return new FanoutError(
    "TIMEOUT",
    `no answer to the ${context.action}${about.length ? ` (${about.join(", ")})` : ""} within ${afterMs} ms (requestTimeoutMs)${lastFailure ? `; the client cannot connect: ${lastFailure.message}` : ""}`,
    lastFailure ? { ...context, status: lastFailure.status, cause: lastFailure } : context,
  );
}

/**
 * The `NOT_ACCEPTED` of a publish or broadcast with an id whose connections all closed before it was accepted.
 * @param context - the request
 * @param connections - how many connections it was sent on
 * @param closeCode - the last one's close code (1009: a frame too large for the gateway)
 */
export function notAcceptedError(
  context: RequestContext & { id: string },
  connections: number,
  closeCode: number | undefined,
): FanoutError {
  return new FanoutError(
    "NOT_ACCEPTED",
    `the ${context.action} ${context.id} was sent on ${connections} connections that all closed before it was accepted (last close code ${closeCode ?? "none"}); it is not sent again (maxResends)`,
    context,
  );
}
