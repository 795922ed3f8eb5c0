/**
 * Refusals: the error a sender receives for a request the service will not carry out, with the code (one of the
 * contract's `ERROR_CODES`), the text that tells a person what to send instead, and the context fields a client
 * library uses to match the error to its request. The grammar's refusals are written where requests are read
 * (`requests.ts`); those of the use cases are here.
 */
import type { ErrorCode } from "../contract/errors.js";
import {
  MAX_MESSAGE_DEPTH,
  MAX_RECOVERY_MESSAGES,
  MAX_SUBSCRIPTIONS_PER_CONNECTION,
} from "../contract/limits.js";
import { nestsDeeperThan, stringify } from "../contract/messages.js";
import type { Result } from "../contract/result.js";

/**
 * A request the service refuses, with the code and the text the sender receives, and the context fields a client
 * library uses to match the error to its request (only those known, and short enough to be valid, are set).
 */
export interface Rejection {
  /** A stable code. */
  code: ErrorCode;
  /** What was wrong and what to send instead. */
  message: string;
  /** The action of the refused request. */
  action?: string;
  /** The channel of the refused request. */
  channel?: string;
  /** The client's id of the refused request. */
  id?: string;
}

/** The context fields of a rejection. */
export type RejectionContext = Pick<Rejection, "action" | "channel" | "id">;

/**
 * Builds a refusal.
 * @param code - the error code
 * @param message - what was wrong and what to send instead
 * @param where - the context fields known (action, channel, id)
 */
export function reject(
  code: ErrorCode,
  message: string,
  where: RejectionContext = {},
): Result<never, Rejection> {
  return { ok: false, error: { code, message, ...where } };
}

/**
 * The context fields of a rejection, omitting the unknown ones.
 * @param action - the action
 * @param channel - the channel, if known
 * @param id - the id, if known
 */
export function context(action: string, channel?: string, id?: string): RejectionContext {
  return {
    action,
    ...(channel === undefined ? {} : { channel }),
    ...(id === undefined ? {} : { id }),
  };
}

/**
 * The FORBIDDEN refusal: says which right is missing and how to get it. A broadcast without an id carries no
 * context fields, as in the first protocol.
 * @param right - the right the action needs
 * @param request - the request's channel (subscribe, publish, history) and id, if any, and its action when it is
 *   not the right's name (a history request needs the subscribe right)
 */
export function forbidden(
  right: "broadcast" | "subscribe" | "publish",
  request: { channel?: string; id?: string; action?: string },
): Rejection {
  if (right === "broadcast") {
    return {
      code: "FORBIDDEN",
      message:
        "This connection may not broadcast: its token has no broadcast right (or the stack turned client publishing off).",
      ...(request.id === undefined ? {} : context("broadcast", undefined, request.id)),
    };
  }
  const channel = request.channel ?? "";
  return {
    code: "FORBIDDEN",
    message: `This connection may not ${right} to ${JSON.stringify(channel)}; connect with a token whose "fanout.${right}" patterns match it (e.g. "${channel.split("/")[0]}/**").`,
    ...context(request.action ?? right, channel, request.id),
  };
}

/**
 * The PAYLOAD_TOO_LARGE refusal of a client's broadcast or publish over the stack's own cap
 * (`MAX_CLIENT_MESSAGE_BYTES`), which lies below the protocol's 128 KB: each byte is paid for once per recipient,
 * whichever the audience.
 * @param action - `broadcast` or `publish`
 * @param bytes - the frame's size, as every recipient would receive it
 * @param cap - the stack's cap
 * @param where - the context fields of the request
 */
export function overMessageCap(
  action: "broadcast" | "publish",
  bytes: number,
  cap: number,
  where: RejectionContext,
): Rejection {
  const wrapped = action === "broadcast" ? '{"message":...}' : '{"channel":...,"message":...,"id":...}';
  return {
    code: "PAYLOAD_TOO_LARGE",
    message: `The ${action} is ${bytes} bytes once wrapped as ${wrapped}; this stack accepts at most ${cap} bytes from a client. Send a smaller message.`,
    ...where,
  };
}

/**
 * The TOO_MANY_SUBSCRIPTIONS refusal.
 * @param held - the subscriptions the connection holds
 * @param channel - the channel it asked for
 */
export function tooManySubscriptions(held: number, channel: string): Rejection {
  return {
    code: "TOO_MANY_SUBSCRIPTIONS",
    message: `This connection holds ${held} subscriptions, the most allowed is ${MAX_SUBSCRIPTIONS_PER_CONNECTION}; send {"action":"unsubscribe","channel":...} for one you no longer need, then subscribe again.`,
    ...context("subscribe", channel),
  };
}

/**
 * The RECOVERY_TOO_LARGE refusal of a subscribe whose `since` lies further back than one recovery sends; the
 * subscription is not kept.
 * @param channel - the channel
 * @param missed - the messages published since the position sent
 */
export function recoveryTooLarge(channel: string, missed: number): Rejection {
  return {
    code: "RECOVERY_TOO_LARGE",
    message: `${missed} messages were published on ${JSON.stringify(channel)} since that position; one recovery sends at most ${MAX_RECOVERY_MESSAGES}. Subscribe without "since" and reload what the channel's messages built (a history request returns the newest).`,
    ...context("subscribe", channel),
  };
}

/**
 * The NO_HISTORY refusal of a history request for a channel the stack keeps no history of.
 * @param channel - the channel
 */
export function noHistory(channel: string): Rejection {
  return {
    code: "NO_HISTORY",
    message: `This stack keeps no history of ${JSON.stringify(channel)}: its history_channels patterns do not match it, or history_retention_days is 0.`,
    ...context("history", channel),
  };
}

/** What failed, in the words of each action's INTERNAL_ERROR. */
const INTERNAL_ERRORS = {
  broadcast:
    "The broadcast may not have reached every client (the connection store or the shard queue failed); try again.",
  subscribe: "The subscription could not be stored, or its history read; send the subscribe again.",
  unsubscribe: "The subscription could not be removed; send the unsubscribe again.",
  publish:
    "The message may not have reached every subscriber (the history, the membership store or the shard queue failed); publish it again.",
  history: "The channel's history could not be read; send the request again.",
} as const;

/**
 * The INTERNAL_ERROR refusal when a store or the shard queue failed: the request may be sent again as it is. A
 * broadcast without an id carries no context fields, as in the first protocol.
 * @param action - the action that failed
 * @param request - the request's channel and id, if any
 */
export function internalError(
  action: keyof typeof INTERNAL_ERRORS,
  request: { channel?: string; id?: string },
): Rejection {
  const where =
    action === "broadcast" && request.id === undefined ? {} : context(action, request.channel, request.id);
  return { code: "INTERNAL_ERROR", message: INTERNAL_ERRORS[action], ...where };
}

/**
 * Echoes a bad value back to its sender without echoing a whole oversized or deeply nested one.
 * @param value - typically a request's `action` field
 */
export function describe(value: unknown): string {
  const text = nestsDeeperThan(value, MAX_MESSAGE_DEPTH)
    ? undefined
    : (stringify(value) ?? (typeof value === "object" ? undefined : String(value)));
  if (text === undefined) return "(a deeply nested value)";
  return text.length > 64 ? `${text.slice(0, 61)}...` : text;
}
