import { isGone, sendWithTimeout } from "../fanout.js";
import { errorFrame, type Rejection } from "../protocol.js";
import type { MessageDependencies, RouteResult } from "./types.js";

/**
 * Sends one frame to the sender. The sender may already have gone: then its key is removed, as a fan-out would.
 * Never throws: the answer is best effort, like API Gateway's own route responses.
 * @param deps - store, send, log and timeout
 * @param connectionId - the sender
 * @param frame - the frame's text
 * @returns true if the frame was sent
 */
export async function reply(
  deps: Pick<MessageDependencies, "store" | "send" | "log" | "fanout">,
  connectionId: string,
  frame: string,
): Promise<boolean> {
  try {
    await sendWithTimeout(deps.send, connectionId, Buffer.from(frame, "utf8"), deps.fanout.sendTimeoutMs);
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
 * `$default` and every bad frame: tells the sender what was wrong and what to send instead; nobody else hears.
 * @param deps - store, send, log and timeout
 * @param connectionId - the sender
 * @param rejection - the code and text
 */
export async function rejectFrame(
  deps: Pick<MessageDependencies, "store" | "send" | "log" | "fanout">,
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
