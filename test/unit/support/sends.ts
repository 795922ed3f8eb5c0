/** What a send to one connection can do: the errors the SDK throws, and a `Send` that records. */
import { GoneException, LimitExceededException } from "@aws-sdk/client-apigatewaymanagementapi";
import type { Send } from "../../../src/delivery/send-policy.js";

/** A broadcast frame. */
export const payload = Buffer.from('{"message":"hi"}', "utf8");

/** A recipient that has gone (410, named). */
export const gone = () => new GoneException({ $metadata: { httpStatusCode: 410 }, message: "gone" });

/** A throttled send (429). */
export const throttled = () =>
  new LimitExceededException({ $metadata: { httpStatusCode: 429 }, message: "slow down" });

/** What the SDK throws for a 410 without `x-amzn-ErrorType`: name `Unknown`, status 410. */
export const bare410 = () =>
  Object.assign(new Error("UnknownError"), { name: "Unknown", $metadata: { httpStatusCode: 410 } });

/** A 403. */
export const forbidden = () =>
  Object.assign(new Error("Forbidden"), { name: "ForbiddenException", $metadata: { httpStatusCode: 403 } });

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
