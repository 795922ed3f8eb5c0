/**
 * The frames that carry a client's message to its recipients, and the one depth and size guard they all pass: a
 * broadcast's `{"message":M}`, and a channel's `{"channel":C,"message":M,"id":ID}` (from a publish or an SNS
 * message), which gains `"offset":N,"epoch":E`, its position, on a channel that keeps history. The Lambda sends
 * what these encode; the CLIs encode the same to refuse, before sending, what the Lambda would drop.
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
  reserve = 0,
): Result<Uint8Array, MessageProblem> {
  const text = nestsDeeperThan(message, MAX_MESSAGE_DEPTH) ? undefined : stringify(frame);
  if (text === undefined) {
    return problem(
      "MESSAGE_TOO_DEEP",
      `The ${what}'s message nests arrays or objects more than ${MAX_MESSAGE_DEPTH} levels deep; send a flatter JSON value.`,
    );
  }
  const data = encoder.encode(text);
  if (data.byteLength + reserve > MAX_MESSAGE_BYTES) {
    return problem(
      "PAYLOAD_TOO_LARGE",
      `The ${what} is ${data.byteLength + reserve} bytes once wrapped as ${shape}; the limit is ${MAX_MESSAGE_BYTES} bytes. Send a smaller message.`,
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
 * The frame every member of a channel receives: `{"channel":C,"message":M,"id":ID}`. On a channel that keeps
 * history the frame will carry its position too ({@link withPosition}): the size check then leaves room for it.
 * @param channel - the channel
 * @param message - the message, any JSON value
 * @param id - the client's id, the SNS MessageId, or a generated one
 * @param positioned - whether the frame will carry a position
 */
export function channelFrame(
  channel: string,
  message: unknown,
  id: string,
  positioned = false,
): Result<Uint8Array, MessageProblem> {
  return positioned
    ? encodeMessageFrame(
        { channel, message, id },
        message,
        "publish",
        `{"channel":...,"message":...,"id":...,"offset":...,"epoch":...}`,
        MAX_POSITION_BYTES,
      )
    : encodeMessageFrame(
        { channel, message, id },
        message,
        "publish",
        `{"channel":...,"message":...,"id":...}`,
      );
}

/**
 * Where a channel message stands in its channel's history: the `epoch` in which the channel's history began (it
 * begins again, in a later epoch, only once every earlier message has expired) and the `offset` within it, 1 for
 * the first message, then 2, 3... without a hole. A receiver that holds offset N of epoch E and sees N+2 knows it
 * missed N+1; one that sees another epoch knows the history it held a position in is gone.
 */
export interface Position {
  /** The epoch: the hour its first message was written, in base 36 (`epochAt`). */
  readonly epoch: string;
  /** 1, 2, 3... within the epoch. */
  readonly offset: number;
}

/** The most characters of an epoch: six base-36 digits of hours count some 248,000 years. */
export const MAX_EPOCH_LENGTH = 6;

/**
 * The epoch that a history beginning at `ms` gets: the hour, in base 36. Every writer that finds a channel's
 * history empty in the same hour picks the same epoch, so two first messages written at once still share one; a
 * new epoch only begins once the history is empty, a retention (a day at least) after the last message, so it is
 * always a later hour than the epoch before it.
 * @param ms - the time, in milliseconds since 1970
 */
export function epochAt(ms: number): string {
  return Math.floor(ms / 3_600_000).toString(36);
}

/**
 * The bytes a position adds to a frame, at most: the largest safe integer as the offset, an epoch of
 * {@link MAX_EPOCH_LENGTH} characters.
 */
export const MAX_POSITION_BYTES = ',"offset":9007199254740991,"epoch":"zzzzzz"'.length;

/**
 * A channel frame with its position: `{"channel":C,"message":M,"id":ID,"offset":N,"epoch":E}`, made by appending
 * to the frame's bytes, so that a message is serialised once however many positions a write tries.
 * @param frame - a frame of {@link channelFrame}, made with `positioned`
 * @param position - its position
 */
export function withPosition(frame: Uint8Array, position: Position): Uint8Array {
  const tail = encoder.encode(`,"offset":${position.offset},"epoch":${JSON.stringify(position.epoch)}}`);
  const data = new Uint8Array(frame.byteLength - 1 + tail.byteLength);
  // The frame ends with the "}" that closes it; the position goes before it.
  data.set(frame.subarray(0, frame.byteLength - 1));
  data.set(tail, frame.byteLength - 1);
  return data;
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
