import type { ErrorCode } from "./contract/errors.js";
import { MAX_MESSAGE_DEPTH } from "./contract/limits.js";
import { broadcastFrame as encodeBroadcast, nestsDeeperThan, stringify } from "./contract/messages.js";

export type { ErrorCode } from "./contract/errors.js";

/**
 * A frame the service refuses, with the code and the text the sender receives, and the context fields a client
 * library uses to match the error to its request (only those known, and short enough to be valid, are set).
 */
export interface Rejection {
  /** A stable code. */
  code: ErrorCode;
  /** What was wrong and what to send instead. */
  message: string;
  /** The action of the refused frame. */
  action?: string;
  /** The channel of the refused frame. */
  channel?: string;
  /** The client's id of the refused frame. */
  id?: string;
}

/** The frame that answers a ping. */
export const PONG_FRAME = '{"action":"pong"}';

/**
 * The frame every recipient of a broadcast receives (`broadcastFrame` of `contract/messages.ts`), or its refusal
 * with the context fields of a broadcast with an id.
 * @param message - the broadcast's `message` value
 * @param id - the client's id, if any
 */
export function broadcastFrame(
  message: unknown,
  id?: string,
): { ok: true; data: Uint8Array } | { ok: false; rejection: Rejection } {
  const frame = encodeBroadcast(message, id);
  if (frame.ok) return { ok: true, data: frame.value };
  return {
    ok: false,
    rejection: { ...frame.error, ...(id === undefined ? {} : { action: "broadcast", id }) },
  };
}

/**
 * Serialises an error frame for the sender: `{"error":{"code","message","action"?,"channel"?,"id"?}}`. Without
 * context fields it is byte for byte the frame of the first protocol, `{"error":{"code","message"}}`.
 * @param rejection - the code, text and context
 */
export function errorFrame(rejection: Rejection): string {
  const { code, message, action, channel, id } = rejection;
  // JSON.stringify leaves out undefined fields.
  return JSON.stringify({ error: { code, message, action, channel, id } });
}

/**
 * Builds a refusal.
 * @param code - the error code
 * @param message - what was wrong and what to send instead
 * @param where - the context fields known (action, channel, id)
 */
export function reject(
  code: ErrorCode,
  message: string,
  where: Pick<Rejection, "action" | "channel" | "id"> = {},
): { ok: false; rejection: Rejection } {
  return { ok: false, rejection: { code, message, ...where } };
}

/**
 * Echoes a bad value back to its sender without echoing a whole oversized or deeply nested one.
 * @param value - typically a frame's `action` field
 */
export function describe(value: unknown): string {
  const text = nestsDeeperThan(value, MAX_MESSAGE_DEPTH)
    ? undefined
    : (stringify(value) ?? (typeof value === "object" ? undefined : String(value)));
  if (text === undefined) return "(a deeply nested value)";
  return text.length > 64 ? `${text.slice(0, 61)}...` : text;
}
