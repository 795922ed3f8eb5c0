import { randomUUID } from "node:crypto";
import { channelProblem, ID_PROBLEM, isValidId } from "./contract/grammar.js";
import { MAX_CHANNEL_LENGTH, MAX_ID_LENGTH } from "./contract/limits.js";
import { channelFrame } from "./contract/messages.js";
import type { ErrorCode, Rejection } from "./protocol.js";

/**
 * Channels: the name grammar, the limits, the frames of `subscribe`, `unsubscribe` and `publish`, and the
 * optional client-chosen `id` (CONTRACT.md). Pure functions: no I/O, so the handler, the CLIs and the tests can
 * share them.
 */

/** The client actions of channels. */
export type ChannelAction = "subscribe" | "unsubscribe" | "publish";

/**
 * A refused channel request: the protocol's one {@link Rejection} (codes from the one `ErrorCode` table of
 * `protocol.ts`), with its context fields.
 */
export type ChannelRejection = Rejection;

/** A valid `subscribe` or `unsubscribe`. */
export interface MembershipRequest {
  action: "subscribe" | "unsubscribe";
  channel: string;
}

/** A valid `publish`. `id` is the client's, or undefined when it sent none. */
export interface PublishRequest {
  action: "publish";
  channel: string;
  message: unknown;
  id: string | undefined;
}

/** Either the value or the refusal. */
export type Checked<T> = { ok: true; value: T } | { ok: false; rejection: ChannelRejection };

const CHANNEL_EXAMPLE = `"news/sport"`;

/**
 * Checks a channel name against the grammar (`channelProblem` of `contract/grammar.ts`).
 * @param channel - the `channel` field as the client sent it
 */
export function checkChannel(channel: unknown): Checked<string> {
  const problem = channelProblem(channel);
  return problem === undefined ? { ok: true, value: channel as string } : refuse("INVALID_CHANNEL", problem);
}

/**
 * Whether a value is a valid channel name ({@link checkChannel} without the text): for capability checks.
 * @param channel - the candidate
 */
export function isValidChannel(channel: unknown): channel is string {
  return channelProblem(channel) === undefined;
}

/**
 * Checks an optional client-chosen id: absent is fine (undefined), otherwise 1..64 characters of `[A-Za-z0-9_-]`.
 * @param frame - the client's frame
 */
export function checkId(frame: Record<string, unknown>): Checked<string | undefined> {
  if (!("id" in frame) || frame.id === undefined) return { ok: true, value: undefined };
  const id = frame.id;
  if (!isValidId(id)) return refuse("INVALID_ID", ID_PROBLEM);
  return { ok: true, value: id };
}

/**
 * Reads a `subscribe` or `unsubscribe` frame (already parsed as a JSON object with that action).
 * @param frame - the client's frame
 * @param action - which of the two it is
 */
export function parseMembershipRequest(
  frame: Record<string, unknown>,
  action: "subscribe" | "unsubscribe",
): Checked<MembershipRequest> {
  const channel = readChannel(frame, action);
  if (!channel.ok) return channel;
  return { ok: true, value: { action, channel: channel.value } };
}

/**
 * Reads a `publish` frame (already parsed as a JSON object with that action, its optional `id` already checked
 * by {@link checkId}). Checked in the order channel, message, so the refusal names the first thing to fix.
 * @param frame - the client's frame
 * @param id - the frame's checked id, or undefined when it has none
 */
export function parsePublishRequest(
  frame: Record<string, unknown>,
  id: string | undefined,
): Checked<PublishRequest> {
  const channel = readChannel(frame, "publish");
  if (!channel.ok) return channel;
  if (!("message" in frame)) {
    return {
      ok: false,
      rejection: {
        code: "MISSING_MESSAGE",
        message: `A publish needs a "message" field (any JSON value), such as {"action":"publish","channel":${CHANNEL_EXAMPLE},"message":"hello"}.`,
        ...context("publish", channel.value, id),
      },
    };
  }
  return { ok: true, value: { action: "publish", channel: channel.value, message: frame.message, id } };
}

/**
 * The context of a refusal about a frame's `id` (INVALID_ID): its action, and its channel when that is a valid
 * name (so a client library can still match the error to its request).
 * @param frame - the client's frame
 * @param action - its action
 */
export function idRejectionContext(
  frame: Record<string, unknown>,
  action: string,
): Pick<ChannelRejection, "action" | "channel" | "id"> {
  return context(action, isValidChannel(frame.channel) ? frame.channel : undefined);
}

function readChannel(frame: Record<string, unknown>, action: ChannelAction): Checked<string> {
  const id = echoable(frame.id, MAX_ID_LENGTH);
  if (!("channel" in frame)) {
    return {
      ok: false,
      rejection: {
        code: "MISSING_CHANNEL",
        message: `A ${action} needs a "channel" field, such as {"action":"${action}","channel":${CHANNEL_EXAMPLE}${action === "publish" ? ',"message":"hello"' : ""}}.`,
        ...context(action, undefined, id),
      },
    };
  }
  const checked = checkChannel(frame.channel);
  if (!checked.ok) {
    return {
      ok: false,
      rejection: {
        ...checked.rejection,
        ...context(action, echoable(frame.channel, MAX_CHANNEL_LENGTH), id),
      },
    };
  }
  return checked;
}

/** A value echoed in an error's context only when it is a string short enough to echo. */
function echoable(value: unknown, maxLength: number): string | undefined {
  return typeof value === "string" && value.length <= maxLength ? value : undefined;
}

/**
 * The context fields of a rejection, omitting the unknown ones.
 * @param action - the action
 * @param channel - the channel, if known
 * @param id - the id, if known
 */
export function context(
  action: string,
  channel?: string,
  id?: string,
): Pick<ChannelRejection, "action" | "channel" | "id"> {
  return {
    action,
    ...(channel === undefined ? {} : { channel }),
    ...(id === undefined ? {} : { id }),
  };
}

/**
 * `{"action":"subscribed","channel":C}`, sent once the membership is stored.
 * @param channel - the channel
 */
export function subscribedFrame(channel: string): string {
  return JSON.stringify({ action: "subscribed", channel });
}

/**
 * `{"action":"unsubscribed","channel":C}`.
 * @param channel - the channel
 */
export function unsubscribedFrame(channel: string): string {
  return JSON.stringify({ action: "unsubscribed", channel });
}

/**
 * `{"action":"accepted","id":ID}`, sent to a sender that gave an id once its message is accepted for fan-out.
 * @param id - the client's id
 */
export function acceptedFrame(id: string): string {
  return JSON.stringify({ action: "accepted", id });
}

/**
 * Serialises, once, the frame every subscriber of a channel receives: `{"channel":C,"message":M,"id":ID}`.
 * @param channel - the channel
 * @param message - the message, any JSON value
 * @param id - the client's id, the SNS MessageId, or a generated one
 * @returns the UTF-8 bytes, or a PAYLOAD_TOO_LARGE or MESSAGE_TOO_DEEP rejection (with context) when they cannot
 *   be sent; the checks are `protocol.ts`'s, shared with broadcast
 */
export function deliveryFrame(channel: string, message: unknown, id: string): Checked<Uint8Array> {
  const frame = channelFrame(channel, message, id);
  return frame.ok ? frame : { ok: false, rejection: { ...frame.error, ...context("publish", channel, id) } };
}

/** A fresh id for a publish without one: a UUID, which fits the id grammar (hex digits and "-"). */
export function generateId(): string {
  return randomUUID();
}

function refuse(code: ErrorCode, message: string): { ok: false; rejection: ChannelRejection } {
  return { ok: false, rejection: { code, message } };
}
