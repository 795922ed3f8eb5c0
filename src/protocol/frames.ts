/**
 * The frames the service sends to the sender of a request: answers, acknowledgements and errors. (The frames that
 * carry a client's message to its recipients are the contract's, `src/contract/messages.ts`, so that the CLIs
 * check them as the Lambda does.)
 */
import type { Position } from "../contract/messages.js";
import type { Rejection } from "./errors.js";

/** The frame that answers a ping. */
export const PONG_FRAME = '{"action":"pong"}';

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
 * `{"action":"subscribed","channel":C}`, sent once the membership is stored. On a channel that keeps history it
 * says where the history stood once the membership was stored (`"offset":N,"epoch":E` of the newest message, or
 * `"offset":0` when there was none): every later message reaches the subscriber. With `since` it also says whether
 * every message after that position was sent before this frame (`"recovered":true`) or not (`false`: some have
 * expired, or the history restarted, or the channel keeps none).
 * @param channel - the channel
 * @param head - the newest position, `null` for an empty history, undefined for a channel without history
 * @param recovered - whether a recovery was complete, undefined without `since`
 */
export function subscribedFrame(channel: string, head?: Position | null, recovered?: boolean): string {
  const position =
    head === undefined ? {} : head === null ? { offset: 0 } : { offset: head.offset, epoch: head.epoch };
  // JSON.stringify leaves out an undefined `recovered`.
  return JSON.stringify({ action: "subscribed", channel, ...position, recovered });
}

/**
 * `{"action":"history","channel":C,"messages":[…]}`: the answer to a history request, the messages oldest first,
 * each the channel frame it was sent as (`{"channel","message","id","offset","epoch"}`).
 * @param channel - the channel
 * @param frames - the messages' frames as stored, oldest first (each a JSON object's text)
 */
export function historyFrame(channel: string, frames: readonly string[]): string {
  return `{"action":"history","channel":${JSON.stringify(channel)},"messages":[${frames.join(",")}]}`;
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
