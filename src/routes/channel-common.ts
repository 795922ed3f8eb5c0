import type { ChannelRejection } from "../channels.js";
import { rejectFrame } from "./reply.js";
import type { MessageDependencies, RouteResult } from "./types.js";

/**
 * What the channel routes receive: the message routes' dependencies, whose `memberships` and `rights` they use,
 * and whose `store` is decorated by `withMembershipCleanup` (see `channel-fanout.ts`).
 */
export type ChannelDependencies = MessageDependencies;

/**
 * Refuses a channel frame: the error, with its context fields, goes to the sender only; nothing is stored or sent.
 * @param deps - send, store, log and timeout
 * @param connectionId - the sender
 * @param rejection - code, text and context
 */
export function refuseChannelFrame(
  deps: MessageDependencies,
  connectionId: string,
  rejection: ChannelRejection,
): Promise<RouteResult> {
  return rejectFrame(deps, connectionId, rejection);
}

/**
 * The FORBIDDEN refusal: says which right is missing and how to get it.
 * @param action - subscribe or publish
 * @param channel - the channel
 * @param id - the request's id, if any
 */
export function forbidden(action: "subscribe" | "publish", channel: string, id?: string): ChannelRejection {
  return {
    code: "FORBIDDEN",
    message: `This connection may not ${action} to ${JSON.stringify(channel)}; connect with a token whose "fanout.${action}" patterns match it (e.g. "${channel.split("/")[0]}/**").`,
    action,
    channel,
    ...(id === undefined ? {} : { id }),
  };
}

/**
 * The INTERNAL_ERROR refusal when the store failed.
 * @param action - the action
 * @param text - what to do
 * @param channel - the channel
 * @param id - the request's id, if any
 */
export function storeFailed(action: string, text: string, channel: string, id?: string): ChannelRejection {
  return { code: "INTERNAL_ERROR", message: text, action, channel, ...(id === undefined ? {} : { id }) };
}
