/**
 * `subscribe` and `unsubscribe`: a connection joins or leaves a channel. (The request grammar checked the name,
 * the route table the right.) Each changes the membership store, then acknowledges, so the client knows that from
 * now on it receives, or no longer does.
 */
import { MAX_SUBSCRIPTIONS_PER_CONNECTION } from "../contract/limits.js";
import { internalError, type Rejection, tooManySubscriptions } from "../protocol/errors.js";
import { unsubscribedFrame } from "../protocol/frames.js";
import type { MembershipRequest, SubscribeRequest } from "../protocol/requests.js";
import type { ActionDependencies, RouteResult } from "./dependencies.js";
import { acknowledgeSubscription } from "./history.js";
import { rejectRequest, reply } from "./reply.js";

/**
 * `subscribe`: checks the limit, stores the membership, then answers `{"action":"subscribed","channel":C}`: on a
 * channel that keeps history with the head, after the messages missed since `since` (`./history.ts`).
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
  request: Pick<SubscribeRequest, "channel" | "since">,
): Promise<RouteResult> {
  const { channel, since } = request;
  return await changeMembership(
    deps,
    connectionId,
    "subscribe",
    channel,
    async () => {
      const held = await deps.memberships.channelsOf(connectionId);
      if (!held.includes(channel) && held.length >= MAX_SUBSCRIPTIONS_PER_CONNECTION) {
        return tooManySubscriptions(held.length, channel);
      }
      await deps.memberships.subscribe(connectionId, channel);
      return undefined;
    },
    () => acknowledgeSubscription(deps, connectionId, channel, since),
  );
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
  return await changeMembership(
    deps,
    connectionId,
    "unsubscribe",
    channel,
    async () => {
      await deps.memberships.unsubscribe(connectionId, channel);
      return undefined;
    },
    async () => {
      if (await reply(deps, connectionId, unsubscribedFrame(channel)))
        deps.log.info("unsubscribed", { channel });
      return { statusCode: 200 };
    },
  );
}

/** What the log says when a change failed. */
const FAILED = {
  subscribe: "storing the subscription failed",
  unsubscribe: "removing the subscription failed",
} as const;

/**
 * Runs one change of the membership store: a refusal it answers goes to the sender; a store failure is logged,
 * answered INTERNAL_ERROR and 500; otherwise `acknowledge` answers.
 */
async function changeMembership(
  deps: ActionDependencies,
  connectionId: string,
  action: keyof typeof FAILED,
  channel: string,
  change: () => Promise<Rejection | undefined>,
  acknowledge: () => Promise<RouteResult>,
): Promise<RouteResult> {
  let refusal: Rejection | undefined;
  try {
    refusal = await change();
  } catch (error) {
    deps.log.error(FAILED[action], { error, channel });
    await rejectRequest(deps, connectionId, internalError(action, { channel }));
    return { statusCode: 500, body: "membership store unavailable" };
  }
  if (refusal !== undefined) return await rejectRequest(deps, connectionId, refusal);
  return await acknowledge();
}
