import { internalError } from "../protocol/errors.js";
import { unsubscribedFrame } from "../protocol/frames.js";
import type { MembershipRequest } from "../protocol/requests.js";
import type { ActionDependencies, RouteResult } from "./dependencies.js";
import { rejectRequest, reply } from "./reply.js";

/**
 * `unsubscribe`: removes the membership and answers `{"action":"unsubscribed","channel":C}`, also when there was
 * none (idempotent). No right is needed (the route table names none): leaving a channel never needs one, and a
 * token's rights may have changed since the subscribe.
 * @param deps - store, memberships, send, log and settings
 * @param connectionId - the sender
 * @param request - the channel
 */
export async function unsubscribe(
  deps: ActionDependencies,
  connectionId: string,
  request: Pick<MembershipRequest, "channel">,
): Promise<RouteResult> {
  const { channel } = request;
  try {
    await deps.memberships.unsubscribe(connectionId, channel);
  } catch (error) {
    deps.log.error("removing the subscription failed", { error, channel });
    await rejectRequest(deps, connectionId, internalError("unsubscribe", { channel }));
    return { statusCode: 500, body: "membership store unavailable" };
  }
  if (await reply(deps, connectionId, unsubscribedFrame(channel))) deps.log.info("unsubscribed", { channel });
  return { statusCode: 200 };
}
