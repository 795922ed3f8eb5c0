/**
 * The frames the service sends to the sender of a request: answers, acknowledgements and errors. (The frames that
 * carry a client's message to its recipients are the contract's, `src/contract/messages.ts`, so that the CLIs
 * check them as the Lambda does.)
 */
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
