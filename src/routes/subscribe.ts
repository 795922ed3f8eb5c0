import { canSubscribe } from "../capabilities.js";
import { context, type MembershipRequest, subscribedFrame } from "../channels.js";
import { MAX_SUBSCRIPTIONS_PER_CONNECTION } from "../contract/limits.js";
import { type ChannelDependencies, forbidden, refuseChannelFrame, storeFailed } from "./channel-common.js";
import { reply } from "./reply.js";
import type { RouteResult } from "./types.js";

/**
 * `subscribe`: checks the right and the limit, stores the membership, then answers
 * `{"action":"subscribed","channel":C}`, so the client knows that from now on it receives. (The name was checked
 * by the route table's parser.)
 *
 * The limit counts the reverse index. Two subscribes of one connection running at once can both see 49 and both
 * store: the limit is soft by at most the number of that connection's frames in flight, and every later
 * subscribe is refused until it is back under. Subscribing to a channel already held is never refused, and writes
 * both keys again (idempotent, and it repairs a subscription half-written by a crash).
 * @param deps - store, memberships, rights, send, log and settings
 * @param connectionId - the sender
 * @param request - the parsed frame
 */
export async function subscribe(
  deps: ChannelDependencies,
  connectionId: string,
  request: Pick<MembershipRequest, "channel">,
): Promise<RouteResult> {
  const { channel } = request;
  if (!canSubscribe(deps.rights, channel))
    return refuseChannelFrame(deps, connectionId, forbidden("subscribe", channel));
  try {
    const held = await deps.memberships.channelsOf(connectionId);
    if (!held.includes(channel) && held.length >= MAX_SUBSCRIPTIONS_PER_CONNECTION) {
      return refuseChannelFrame(deps, connectionId, {
        code: "TOO_MANY_SUBSCRIPTIONS",
        message: `This connection holds ${held.length} subscriptions, the most allowed is ${MAX_SUBSCRIPTIONS_PER_CONNECTION}; send {"action":"unsubscribe","channel":...} for one you no longer need, then subscribe again.`,
        ...context("subscribe", channel),
      });
    }
    await deps.memberships.subscribe(connectionId, channel);
  } catch (error) {
    deps.log.error("storing the subscription failed", { error, channel });
    await refuseChannelFrame(
      deps,
      connectionId,
      storeFailed("subscribe", "The subscription could not be stored; send the subscribe again.", channel),
    );
    return { statusCode: 500, body: "membership store unavailable" };
  }
  if (await reply(deps, connectionId, subscribedFrame(channel))) deps.log.info("subscribed", { channel });
  return { statusCode: 200 };
}
