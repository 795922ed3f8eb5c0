/** What a send to one connection can do: the errors the @connections sender throws, and a `Send` that records. */
import { ConnectionsApiError } from "../../../src/aws/connections.js";
import type { Send } from "../../../src/delivery/send-policy.js";

/** A broadcast frame. */
export const payload = Buffer.from('{"message":"hi"}', "utf8");

/** A recipient that has gone (410, named). */
export const gone = () => new ConnectionsApiError("GoneException", 410, "gone");

/** A throttled send (429). */
export const throttled = () => new ConnectionsApiError("LimitExceededException", 429, "slow down");

/** A 410 without `x-amzn-ErrorType`: name `Unknown`, status 410, as the SDK named it too. */
export const bare410 = () => new ConnectionsApiError("Unknown", 410, "@connections answered 410");

/** A 403. */
export const forbidden = () => new ConnectionsApiError("ForbiddenException", 403, "Forbidden");

/**
 * A send that records who received what (`id:frame`) and fails for the ids in `failures`.
 * @param failures - the error each id's sends throw
 */
export function recordingSend(failures: Record<string, () => unknown> = {}) {
  const received: string[] = [];
  const send: Send = async (connectionId, data) => {
    const failure = failures[connectionId];
    if (failure) throw failure();
    received.push(`${connectionId}:${Buffer.from(data).toString("utf8")}`);
  };
  return { send, received };
}
