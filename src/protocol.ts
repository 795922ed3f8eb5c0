import { MAX_MESSAGE_BYTES } from "./limits.js";

/** Stable error codes of the client protocol, sent as `{"error":{"code","message"}}` to the sender only. */
export const ErrorCode = {
  INVALID_JSON: "INVALID_JSON",
  NOT_AN_OBJECT: "NOT_AN_OBJECT",
  MISSING_ACTION: "MISSING_ACTION",
  UNKNOWN_ACTION: "UNKNOWN_ACTION",
  MISSING_MESSAGE: "MISSING_MESSAGE",
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  MESSAGE_TOO_DEEP: "MESSAGE_TOO_DEEP",
  BINARY_NOT_SUPPORTED: "BINARY_NOT_SUPPORTED",
  INTERNAL_ERROR: "INTERNAL_ERROR",
  /** The connection's token lacks the right for this action. */
  FORBIDDEN: "FORBIDDEN",
  // Channels and ids (docs/channels.md).
  INVALID_CHANNEL: "INVALID_CHANNEL",
  MISSING_CHANNEL: "MISSING_CHANNEL",
  TOO_MANY_SUBSCRIPTIONS: "TOO_MANY_SUBSCRIPTIONS",
  INVALID_ID: "INVALID_ID",
} as const;

/** One of the protocol's error codes. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

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

/**
 * The deepest a broadcast's message may nest arrays and objects. `JSON.parse` does not recurse, but
 * `JSON.stringify` does, and runs out of stack somewhere between 4,000 and 5,000 levels depending on what is
 * already on the stack: about 8 KB of `[`. A fixed limit well below that gives a stable answer; deeper JSON is
 * also beyond what many receivers parse (Python's `json`, 1,000 levels by default recursion).
 */
export const MAX_MESSAGE_DEPTH = 1000;

/** The frame that answers a ping. */
export const PONG_FRAME = '{"action":"pong"}';

/**
 * Serialises the frame every recipient of a broadcast receives, once, as UTF-8 bytes: `{"message":M}`, or
 * `{"message":M,"id":ID}` when the sender gave an id.
 * @param message - the broadcast's `message` value
 * @param id - the client's id, if any
 * @returns the bytes, or a rejection: PAYLOAD_TOO_LARGE when they exceed API Gateway's 128 KB message limit,
 *   MESSAGE_TOO_DEEP when the value nests more than {@link MAX_MESSAGE_DEPTH} levels
 */
export function broadcastFrame(
  message: unknown,
  id?: string,
): { ok: true; data: Uint8Array } | { ok: false; rejection: Rejection } {
  return id === undefined
    ? serializeFrame({ message }, message, "broadcast", '{"message":...}')
    : serializeFrame({ message, id }, message, "broadcast", '{"message":...,"id":...}', {
        action: "broadcast",
        id,
      });
}

/**
 * Serialises a frame that carries a client's message, once, as UTF-8 bytes: the one place where a message's depth
 * and size are checked, for broadcasts, publishes and SNS messages to a channel.
 * @param frame - the whole frame
 * @param message - the message inside it (checked for depth)
 * @param what - the request's name for the texts ("broadcast", "publish")
 * @param shape - how the frame wraps the message, for the size text
 * @param where - the context fields of a refusal
 */
export function serializeFrame(
  frame: Record<string, unknown>,
  message: unknown,
  what: string,
  shape: string,
  where: Pick<Rejection, "action" | "channel" | "id"> = {},
): { ok: true; data: Uint8Array } | { ok: false; rejection: Rejection } {
  const text = nestsDeeperThan(message, MAX_MESSAGE_DEPTH) ? undefined : stringify(frame);
  if (text === undefined) {
    return reject(
      "MESSAGE_TOO_DEEP",
      `The ${what}'s message nests arrays or objects more than ${MAX_MESSAGE_DEPTH} levels deep; send a flatter JSON value.`,
      where,
    );
  }
  const data = Buffer.from(text, "utf8");
  if (data.byteLength > MAX_MESSAGE_BYTES) {
    return reject(
      "PAYLOAD_TOO_LARGE",
      `The ${what} is ${data.byteLength} bytes once wrapped as ${shape}; the limit is ${MAX_MESSAGE_BYTES} bytes. Send a smaller message.`,
      where,
    );
  }
  return { ok: true, data };
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

/**
 * Tells whether a parsed JSON value nests arrays and objects more than `limit` levels (`[]` is one level, a scalar
 * none), without recursing, so that the check itself cannot run out of stack. Stops at the first path too deep.
 */
function nestsDeeperThan(value: unknown, limit: number): boolean {
  const pending: Array<{ value: unknown; depth: number }> = [{ value, depth: 1 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (typeof next.value !== "object" || next.value === null) continue;
    if (next.depth > limit) return true;
    for (const child of Object.values(next.value)) pending.push({ value: child, depth: next.depth + 1 });
  }
  return false;
}

/**
 * `JSON.stringify` that answers undefined instead of throwing: the depth check keeps values far from its stack
 * limit, and this catch is what remains if a deep stack at the call site brings that limit lower. Parsed JSON has
 * no cycles, BigInts or throwing getters, the other ways it throws.
 */
function stringify(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch (error) {
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}
