/**
 * `subscribe` and `unsubscribe`: a connection joins or leaves a channel. (The request grammar checked the name,
 * the route table the right.) Each changes the membership store, then acknowledges, so the client knows that from
 * now on it receives, or no longer does.
 */
import { MAX_SUBSCRIPTIONS_PER_CONNECTION } from "../contract/limits.js";
import { internalError, type Rejection, tooManySubscriptions } from "../protocol/errors.js";
import { subscribedFrame, unsubscribedFrame } from "../protocol/frames.js";
import type { MembershipRequest } from "../protocol/requests.js";
import type { ActionDependencies, RouteResult } from "./dependencies.js";
import { rejectRequest, reply } from "./reply.js";

/**
 * `subscribe`: checks the limit, stores the membership, then answers `{"action":"subscribed","channel":C}`.
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
  return await changeMembership(deps, connectionId, "subscribe", channel, async () => {
    const held = await deps.memberships.channelsOf(connectionId);
    if (!held.includes(channel) && held.length >= MAX_SUBSCRIPTIONS_PER_CONNECTION) {
      return tooManySubscriptions(held.length, channel);
    }
    await deps.memberships.subscribe(connectionId, channel);
    return undefined;
  });
}

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
  return await changeMembership(deps, connectionId, "unsubscribe", channel, async () => {
    await deps.memberships.unsubscribe(connectionId, channel);
    return undefined;
  });
}

/** The words of each change, in the log and in the acknowledgement. */
const CHANGES = {
  subscribe: { done: "subscribed", failed: "storing the subscription failed", frame: subscribedFrame },
  unsubscribe: { done: "unsubscribed", failed: "removing the subscription failed", frame: unsubscribedFrame },
} as const;

/**
 * Runs one change of the membership store: a refusal it answers goes to the sender; a store failure is logged,
 * answered INTERNAL_ERROR and 500; otherwise the change is acknowledged.
 */
async function changeMembership(
  deps: ActionDependencies,
  connectionId: string,
  action: keyof typeof CHANGES,
  channel: string,
  change: () => Promise<Rejection | undefined>,
): Promise<RouteResult> {
  const words = CHANGES[action];
  let refusal: Rejection | undefined;
  try {
    refusal = await change();
  } catch (error) {
    deps.log.error(words.failed, { error, channel });
    await rejectRequest(deps, connectionId, internalError(action, { channel }));
    return { statusCode: 500, body: "membership store unavailable" };
  }
  if (refusal !== undefined) return await rejectRequest(deps, connectionId, refusal);
  if (await reply(deps, connectionId, words.frame(channel))) deps.log.info(words.done, { channel });
  return { statusCode: 200 };
}
