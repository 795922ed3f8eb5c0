/**
 * The errors the client raises itself, with texts that say what happened and what to look at. Kept apart from the
 * state machine (client.ts) so that it reads as the states and these read as the messages.
 */
import { type ErrorContext, FanoutError } from "./errors.js";

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
  const quote = (error: unknown) => {
    const text = String(error instanceof Error ? error.message : error);
    return secret ? text.split(secret).join("<token>") : text;
  };
  const prefix = `cannot connect to ${where}: `;
  switch (failure.kind) {
    case "token":
      return new FanoutError("CONNECT", `${prefix}the token provider failed: ${quote(failure.error)}`, {
        cause: failure.error,
      });
    case "constructor":
      return new FanoutError("CONNECT", `${prefix}the WebSocket constructor threw: ${quote(failure.error)}`, {
        cause: failure.error,
      });
    case "timeout":
      return new FanoutError(
        "CONNECT",
        `${prefix}the handshake did not finish within ${failure.afterMs} ms (connectTimeoutMs)`,
      );
    default: {
      const status = handshakeStatus(failure.error);
      const text =
        status === undefined
          ? `the connection closed before it opened (close code ${failure.code ?? "none"}); this WebSocket does not reveal the handshake's HTTP status: the API's access log does`
          : `the handshake was refused with HTTP ${status}${status === 401 || status === 403 ? " (the token is missing, invalid or expired)" : ""}`;
      return new FanoutError("CONNECT", prefix + text, { status, cause: failure.error });
    }
  }
}

/**
 * The HTTP status in a WebSocket error event, where the implementation reveals it: the `ws` package's event (or
 * error) says `Unexpected server response: 401`.
 */
function handshakeStatus(event: unknown): number | undefined {
  const e = event as { message?: unknown; error?: { message?: unknown } } | null | undefined;
  const text = `${e?.message ?? ""} ${e?.error?.message ?? ""}`;
  const match = /Unexpected server response: (\d{3})/.exec(text);
  return match ? Number(match[1]) : undefined;
}

/**
 * The `TIMEOUT` of a request not settled within `requestTimeoutMs`; while the client cannot connect, it carries the
 * last attempt's failure (as `cause`, and its `status`).
 * @param context - the request
 * @param afterMs - `requestTimeoutMs`
 * @param lastFailure - the last failed connection attempt, when no connection is open
 */
export function timeoutError(
  context: ErrorContext & { action: string },
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
  context: ErrorContext & { action: string; id: string },
  connections: number,
  closeCode: number | undefined,
): FanoutError {
  return new FanoutError(
    "NOT_ACCEPTED",
    `the ${context.action} ${context.id} was sent on ${connections} connections that all closed before it was accepted (last close code ${closeCode ?? "none"}); it is not sent again (maxResends)`,
    context,
  );
}
