/**
 * The frames that carry a client's message to its recipients, and the one depth and size guard they all pass: a
 * broadcast's `{"message":M}`, and a channel's `{"channel":C,"message":M,"id":ID}` (from a publish or an SNS
 * message). The Lambda sends what these encode; the CLIs encode the same to refuse, before sending, what the
 * Lambda would drop.
 */
import { MAX_MESSAGE_BYTES, MAX_MESSAGE_DEPTH } from "./limits.js";
import type { Result } from "./result.js";

/**
 * The SNS message attribute (a String) that sends a published message to one channel's members instead of every
 * connection.
 */
export const CHANNEL_ATTRIBUTE = "channel";

/** Why a message cannot be sent: it nests too deeply, or its frame is too large. */
export interface MessageProblem {
  /** The protocol's error code. */
  code: "MESSAGE_TOO_DEEP" | "PAYLOAD_TOO_LARGE";
  /** What is wrong and what to send instead. */
  message: string;
}

const encoder = /* @__PURE__ */ new TextEncoder();

/**
 * Serialises a frame that carries a client's message, once, as UTF-8 bytes: the one place where a message's depth
 * and size are checked.
 * @param frame - the whole frame
 * @param message - the message inside it (checked for depth)
 * @param what - the request's name for the texts ("broadcast", "publish")
 * @param shape - how the frame wraps the message, for the size text
 */
function encodeMessageFrame(
  frame: Readonly<Record<string, unknown>>,
  message: unknown,
  what: string,
  shape: string,
): Result<Uint8Array, MessageProblem> {
  const text = nestsDeeperThan(message, MAX_MESSAGE_DEPTH) ? undefined : stringify(frame);
  if (text === undefined) {
    return problem(
      "MESSAGE_TOO_DEEP",
      `The ${what}'s message nests arrays or objects more than ${MAX_MESSAGE_DEPTH} levels deep; send a flatter JSON value.`,
    );
  }
  const data = encoder.encode(text);
  if (data.byteLength > MAX_MESSAGE_BYTES) {
    return problem(
      "PAYLOAD_TOO_LARGE",
      `The ${what} is ${data.byteLength} bytes once wrapped as ${shape}; the limit is ${MAX_MESSAGE_BYTES} bytes. Send a smaller message.`,
    );
  }
  return { ok: true, value: data };
}

/**
 * The frame every recipient of a broadcast receives: `{"message":M}`, or `{"message":M,"id":ID}` when the sender
 * gave an id.
 * @param message - the broadcast's `message` value
 * @param id - the client's id, if any
 */
export function broadcastFrame(message: unknown, id?: string): Result<Uint8Array, MessageProblem> {
  return id === undefined
    ? encodeMessageFrame({ message }, message, "broadcast", '{"message":...}')
    : encodeMessageFrame({ message, id }, message, "broadcast", '{"message":...,"id":...}');
}

/**
 * The frame every member of a channel receives: `{"channel":C,"message":M,"id":ID}`.
 * @param channel - the channel
 * @param message - the message, any JSON value
 * @param id - the client's id, the SNS MessageId, or a generated one
 */
export function channelFrame(
  channel: string,
  message: unknown,
  id: string,
): Result<Uint8Array, MessageProblem> {
  return encodeMessageFrame(
    { channel, message, id },
    message,
    "publish",
    `{"channel":...,"message":...,"id":...}`,
  );
}

/**
 * Tells whether a parsed JSON value nests arrays and objects more than `limit` levels (`[]` is one level, a scalar
 * none), without recursing, so that the check itself cannot run out of stack. Stops at the first path too deep.
 * @param value - a parsed JSON value
 * @param limit - the deepest allowed
 */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
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
 * @param value - a parsed JSON value
 */
export function stringify(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch (error) {
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}

function problem(code: MessageProblem["code"], message: string): Result<Uint8Array, MessageProblem> {
  return { ok: false, error: { code, message } };
}
