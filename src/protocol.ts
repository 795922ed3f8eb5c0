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
  /** The connection's token lacks the right (issue 10). */
  FORBIDDEN: "FORBIDDEN",
} as const;

/** One of the protocol's error codes. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** A frame the service refuses, with the code and the text the sender receives. */
export interface Rejection {
  code: ErrorCode;
  message: string;
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
 * Serialises the frame every recipient of a broadcast receives, once, as UTF-8 bytes.
 * @param message - the broadcast's `message` value
 * @returns the bytes, or a rejection: PAYLOAD_TOO_LARGE when they exceed API Gateway's 128 KB message limit,
 *   MESSAGE_TOO_DEEP when the value nests more than {@link MAX_MESSAGE_DEPTH} levels
 */
export function broadcastFrame(
  message: unknown,
): { ok: true; data: Uint8Array } | { ok: false; rejection: Rejection } {
  const text = nestsDeeperThan(message, MAX_MESSAGE_DEPTH) ? undefined : stringify({ message });
  if (text === undefined) {
    return reject(
      "MESSAGE_TOO_DEEP",
      `The broadcast's message nests arrays or objects more than ${MAX_MESSAGE_DEPTH} levels deep; send a flatter JSON value.`,
    );
  }
  const data = Buffer.from(text, "utf8");
  if (data.byteLength > MAX_MESSAGE_BYTES) {
    return reject(
      "PAYLOAD_TOO_LARGE",
      `The broadcast is ${data.byteLength} bytes once wrapped as {"message":...}; the limit is ${MAX_MESSAGE_BYTES} bytes. Send a smaller message.`,
    );
  }
  return { ok: true, data };
}

/**
 * Serialises an error frame for the sender.
 * @param rejection - the code and text
 */
export function errorFrame(rejection: Rejection): string {
  return JSON.stringify({ error: { code: rejection.code, message: rejection.message } });
}

/**
 * Builds a refusal.
 * @param code - the error code
 * @param message - what was wrong and what to send instead
 */
export function reject(code: ErrorCode, message: string): { ok: false; rejection: Rejection } {
  return { ok: false, rejection: { code, message } };
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
