import { MAX_SUBSCRIPTIONS_PER_CONNECTION } from "../contract/limits.js";
import { internalError, tooManySubscriptions } from "../protocol/errors.js";
import { subscribedFrame } from "../protocol/frames.js";
import type { MembershipRequest } from "../protocol/requests.js";
import type { ActionDependencies, RouteResult } from "./dependencies.js";
import { rejectRequest, reply } from "./reply.js";

/**
 * `subscribe`: checks the limit, stores the membership, then answers `{"action":"subscribed","channel":C}`, so the
 * client knows that from now on it receives. (The request grammar checked the name, the route table the right.)
 *
 * The limit counts the reverse index. Two subscribes of one connection running at once can both see 49 and both
 * store: the limit is soft by at most the number of that connection's requests in flight, and every later
 * subscribe is refused until it is back under. Subscribing to a channel already held is never refused, and writes
 * both keys again (idempotent, and it repairs a subscription half-written by a crash).
 * @param deps - store, memberships, send, log and settings
 * @param connectionId - the sender
 * @param request - the channel
 */
export async function subscribe(
  deps: ActionDependencies,
  connectionId: string,
  request: Pick<MembershipRequest, "channel">,
): Promise<RouteResult> {
  const { channel } = request;
  try {
    const held = await deps.memberships.channelsOf(connectionId);
    if (!held.includes(channel) && held.length >= MAX_SUBSCRIPTIONS_PER_CONNECTION) {
      return await rejectRequest(deps, connectionId, tooManySubscriptions(held.length, channel));
    }
    await deps.memberships.subscribe(connectionId, channel);
  } catch (error) {
    deps.log.error("storing the subscription failed", { error, channel });
    await rejectRequest(deps, connectionId, internalError("subscribe", { channel }));
    return { statusCode: 500, body: "membership store unavailable" };
  }
  if (await reply(deps, connectionId, subscribedFrame(channel))) deps.log.info("subscribed", { channel });
  return { statusCode: 200 };
}
