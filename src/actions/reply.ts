/**
 * Answers to the sender of a request: one frame, best effort, like API Gateway's own route responses.
 */
import { isGone, sendWithTimeout } from "../delivery/send-policy.js";
import type { Rejection } from "../protocol/errors.js";
import { errorFrame } from "../protocol/frames.js";
import type { ActionDependencies, RouteResult } from "./dependencies.js";

/** What a reply needs. */
export type ReplyDependencies = Pick<ActionDependencies, "store" | "send" | "log" | "fanout">;

/**
 * Sends one frame to the sender. The sender may already have gone: then its key is removed, as a fan-out would.
 * Never throws.
 * @param deps - store, send, log and timeout
 * @param connectionId - the sender
 * @param frame - the frame's text, or its bytes
 * @returns true if the frame was sent
 */
export async function reply(
  deps: ReplyDependencies,
  connectionId: string,
  frame: string | Uint8Array,
): Promise<boolean> {
  try {
    const data = typeof frame === "string" ? Buffer.from(frame, "utf8") : frame;
    await sendWithTimeout(deps.send, connectionId, data, deps.fanout.sendTimeoutMs);
    return true;
  } catch (error) {
    if (isGone(error)) {
      deps.log.warn("the sender has gone; removing it");
      await deps.store.remove(connectionId).catch((removeError: unknown) => {
        deps.log.warn("removing the gone sender failed", { error: removeError });
      });
    } else {
      deps.log.error("answering the sender failed", { error });
    }
    return false;
  }
}

/**
 * Refuses a request (`$default` and every bad or forbidden request): tells the sender what was wrong and what to
 * send instead, with the request's context fields; nobody else hears, nothing is stored or sent.
 * @param deps - store, send, log and timeout
 * @param connectionId - the sender
 * @param rejection - the code, text and context
 */
export async function rejectRequest(
  deps: ReplyDependencies,
  connectionId: string,
  rejection: Rejection,
): Promise<RouteResult> {
  deps.log.warn("frame rejected", {
    code: rejection.code,
    action: rejection.action,
    channel: rejection.channel,
  });
  await reply(deps, connectionId, errorFrame(rejection));
  return { statusCode: 200 };
}
