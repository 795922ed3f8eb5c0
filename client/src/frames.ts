import { MAX_FRAME_BYTES, MAX_MESSAGE_BYTES } from "./contract.js";
import { FanoutError, type RequestContext } from "./errors.js";
import { recentIds } from "./recent-ids.js";
import type { ChannelMessage } from "./types.js";

/** The id grammar of the service: 1 to 64 of letters, digits, `_` and `-`. */
const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** A frame the client sends for a request. */
export interface Outgoing {
  action: "subscribe" | "unsubscribe" | "publish" | "broadcast" | "history";
  limit?: number | undefined;
  channel?: string;
  message?: unknown;
  id?: string | undefined;
}

/**
 * The text of a request's frame.
 * @param frame - the frame
 * @param canFragment - whether the WebSocket splits a message into frames of at most {@link MAX_FRAME_BYTES}
 * @throws FanoutError - the refusal before sending: an id the service would refuse (INVALID_ID), or a frame the
 *   platform would not deliver
 */
export function encodeFrame(frame: Outgoing, canFragment: boolean): string {
  const context = { action: frame.action, channel: frame.channel, id: frame.id };
  if (frame.id !== undefined && !ID.test(frame.id))
    throw new FanoutError("INVALID_ID", "id must be 1-64 of [A-Za-z0-9_-]", context);
  const text = JSON.stringify(frame);
  checkSize(text, canFragment, context);
  return text;
}

/** What a frame from the service means to the client. */
export type Incoming =
  | { kind: "error"; error: FanoutError }
  | ({
      kind: "subscribed" | "unsubscribed";
      channel: string | undefined;
      /** After a `since`: whether every missed message came first. */
      recovered: boolean | undefined;
    } & Positioned)
  | { kind: "accepted"; id: string }
  /** A channel message, or a broadcast (no channel). */
  | { kind: "message"; m: Omit<ChannelMessage, "channel"> & { channel: string | undefined } }
  | { kind: "history"; channel: string; messages: ChannelMessage[] }
  | { kind: "other" };

/**
 * A channel message's position, when its channel keeps history; in `subscribed`, where the channel's history stood.
 */
interface Positioned {
  offset: number | undefined;
  epoch: string | undefined;
}

/**
 * Reads a frame from the service: its value for the `frame` event (parsed as JSON when it is, the text otherwise),
 * and what it means: an error (`{"error":{...}}`), an acknowledgement, a channel message (`{"channel","message"}`),
 * a broadcast (`{"message"}`) or a history answer (`{"action":"history","channel","messages"}`). Fields of the
 * wrong type count as absent.
 * @param data - the WebSocket message event's `data`
 */
export function readFrame(data: unknown): { value: unknown; incoming: Incoming } {
  let value: unknown = data;
  try {
    value = JSON.parse(data as string);
  } catch {
    // Not JSON (or not text): passed on as it is.
  }
  return { value, incoming: meaning(value) };
}

function meaning(value: unknown): Incoming {
  if (typeof value !== "object" || value === null) return { kind: "other" };
  const f = value as Record<string, unknown>;
  const channel = text(f.channel);
  const id = text(f.id);
  if (typeof f.error === "object" && f.error) {
    const e = f.error as Record<string, unknown>;
    const context = { action: text(e.action), channel: text(e.channel), id: text(e.id) };
    return { kind: "error", error: new FanoutError(String(e.code), String(e.message), context) };
  }
  const offset = typeof f.offset === "number" ? f.offset : undefined;
  const epoch = text(f.epoch);
  if (f.action === "subscribed" || f.action === "unsubscribed") {
    const recovered = typeof f.recovered === "boolean" ? f.recovered : undefined;
    return { kind: f.action, channel, recovered, offset, epoch };
  }
  if (f.action === "accepted" && id !== undefined) return { kind: "accepted", id };
  if ("message" in f && f.action === undefined)
    return { kind: "message", m: { channel, message: f.message, id, offset, epoch } };
  if (f.action === "history" && channel !== undefined && Array.isArray(f.messages)) {
    // The channel's messages as the `message` event hands them over: a repeat under the same id (an SNS retry,
    // kept at a second position) once, at its first position. Apart from live delivery: nothing here counts as
    // delivered there, so a live message is never dropped for having been in a history answer.
    const isNew = recentIds();
    const messages = f.messages
      .map(meaning)
      .flatMap((read) =>
        read.kind === "message" && read.m.channel === channel && isNew(channel, read.m.id)
          ? [read.m as ChannelMessage]
          : [],
      );
    return { kind: "history", channel, messages };
  }
  return { kind: "other" };
}

/** A frame's field when it is a string. */
function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/**
 * Refuses a frame the platform would not deliver: over {@link MAX_MESSAGE_BYTES} always (API Gateway refuses it),
 * over {@link MAX_FRAME_BYTES} when the WebSocket sends a message as one frame (API Gateway closes the connection
 * with 1009, and the frame would be re-sent after every reconnect).
 * @param frame - the frame's text
 * @param canFragment - whether the WebSocket splits a message into frames of at most {@link MAX_FRAME_BYTES}
 * @param context - the request the frame carries
 * @throws FanoutError - the refusal, when the frame may not be sent
 */
function checkSize(frame: string, canFragment: boolean, context: RequestContext): void {
  const bytes = new TextEncoder().encode(frame).byteLength;
  if (bytes > MAX_MESSAGE_BYTES) {
    throw new FanoutError(
      "PAYLOAD_TOO_LARGE",
      `the ${context.action} frame is ${bytes} bytes; API Gateway accepts messages of at most ${MAX_MESSAGE_BYTES} bytes (MAX_MESSAGE_BYTES): send a smaller message`,
      { ...context, limit: MAX_MESSAGE_BYTES },
    );
  }
  if (!canFragment && bytes > MAX_FRAME_BYTES) {
    throw new FanoutError(
      "FRAME_TOO_LARGE",
      `the ${context.action} frame is ${bytes} bytes; this WebSocket sends it as one frame, and API Gateway closes the connection on a frame over ${MAX_FRAME_BYTES} bytes (MAX_FRAME_BYTES): send a smaller message, or a WebSocket that fragments (option canFragment)`,
      { ...context, limit: MAX_FRAME_BYTES },
    );
  }
}
