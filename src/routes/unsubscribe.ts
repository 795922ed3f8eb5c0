import { type MembershipRequest, unsubscribedFrame } from "../channels.js";
import { type ChannelDependencies, refuseChannelFrame, storeFailed } from "./channel-common.js";
import { reply } from "./reply.js";
import type { RouteResult } from "./types.js";

/**
 * `unsubscribe`: removes the membership and answers `{"action":"unsubscribed","channel":C}`, also when there was
 * none (idempotent). No right is checked: leaving a channel never needs one, and a token's rights may have changed
 * since the subscribe.
 * @param deps - store, memberships, send, log and settings
 * @param connectionId - the sender
 * @param request - the parsed frame
 */
export async function unsubscribe(
  deps: ChannelDependencies,
  connectionId: string,
  request: Pick<MembershipRequest, "channel">,
): Promise<RouteResult> {
  const { channel } = request;
  try {
    await deps.memberships.unsubscribe(connectionId, channel);
  } catch (error) {
    deps.log.error("removing the subscription failed", { error, channel });
    await refuseChannelFrame(
      deps,
      connectionId,
      storeFailed(
        "unsubscribe",
        "The subscription could not be removed; send the unsubscribe again.",
        channel,
      ),
    );
    return { statusCode: 500, body: "membership store unavailable" };
  }
  if (await reply(deps, connectionId, unsubscribedFrame(channel))) deps.log.info("unsubscribed", { channel });
  return { statusCode: 200 };
}
