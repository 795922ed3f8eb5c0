import { type ChannelRejection, channelErrorFrame } from "../channels.js";
import type { MembershipStore } from "../memberships.js";
import { reply } from "./reply.js";
import type { MessageDependencies, RouteResult } from "./types.js";

/** What the channel routes receive: the message routes' dependencies plus the membership store. */
export interface ChannelDependencies extends MessageDependencies {
  /** The membership store. `store` should be decorated by `withMembershipCleanup` (see `channel-fanout.ts`). */
  memberships: MembershipStore;
}

/** The connection a frame came from, with its right for this action. */
export interface ChannelSender {
  /** The sender's connection id. */
  connectionId: string;
  /**
   * Whether the sender may do this action (subscribe, or publish) on this exact channel: the token's
   * capability patterns matched against one name; always true in open mode.
   */
  allowed: (channel: string) => boolean;
}

/**
 * Refuses a channel frame: the error, with its context fields, goes to the sender only; nothing is stored or sent.
 * @param deps - send, store, log and timeout
 * @param connectionId - the sender
 * @param rejection - code, text and context
 */
export async function refuseChannelFrame(
  deps: MessageDependencies,
  connectionId: string,
  rejection: ChannelRejection,
): Promise<RouteResult> {
  deps.log.warn("frame rejected", {
    code: rejection.code,
    action: rejection.action,
    channel: rejection.channel,
  });
  await reply(deps, connectionId, channelErrorFrame(rejection));
  return { statusCode: 200 };
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
