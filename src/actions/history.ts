/**
 * A channel's history: the write that gives a published message its position, and what the history gives a
 * subscriber: where its subscription starts (the head, in `subscribed`), the messages it missed while away (a
 * `subscribe` with `since`), and the newest messages on request (`history`). (docs/channels.md#history)
 */

import type { Log } from "../app/log.js";
import { MAX_MESSAGE_BYTES, MAX_RECOVERY_MESSAGES } from "../contract/limits.js";
import { type Position, withPosition } from "../contract/messages.js";
import { internalError, noHistory, recoveryTooLarge } from "../protocol/errors.js";
import { historyFrame, subscribedFrame } from "../protocol/frames.js";
import type { HistoryRequest } from "../protocol/requests.js";
import type { HistoryStore } from "../stores/history.js";
import { type ActionDependencies, historyOf, type RouteResult } from "./dependencies.js";
import { rejectRequest, reply } from "./reply.js";

/**
 * The frame a channel's members receive: on a channel that keeps history, written at its position first (the write
 * claims the position, before any fan-out) and sent with it; else as it is.
 * @param store - the channel's history ({@link historyOf}), if it keeps one
 * @param channel - the channel
 * @param frame - the channel frame, without a position
 * @param log - the invocation's log, which gains the position
 * @throws StoreError when the history could not be written: the message must then go to nobody
 */
export async function positioned(
  store: HistoryStore | undefined,
  channel: string,
  frame: Uint8Array,
  log: Log,
): Promise<Uint8Array> {
  if (store === undefined) return frame;
  const claimed = await store.append(channel, (position) => withPosition(frame, position));
  log.appendKeys({ offset: claimed.position.offset, epoch: claimed.position.epoch });
  return claimed.data;
}

/** What a recovery sends: the messages of one epoch after `after` up to `upTo`. */
type Recovery =
  | { kind: "send"; epoch: string; after: number; upTo: number }
  | { kind: "incomplete" }
  | { kind: "too large"; missed: number };

/**
 * Acknowledges a stored subscription with `subscribed`, after the messages the subscriber missed when it sent
 * `since`.
 *
 * Why no message falls between the two: the membership is stored before the head is read, and a publish claims its
 * position before it lists the channel's members. A message whose position is past the head read here was claimed
 * after the membership existed, so its fan-out reaches this subscriber; one at or before the head is in the history
 * and is sent from there. A message may come both ways (its fan-out listed the new member, and it is at or before
 * the head): its offset tells the duplicate.
 * @param deps - history, send, log, and the membership store (a refused recovery removes the subscription)
 * @param connectionId - the subscriber
 * @param channel - the channel, its membership already stored
 * @param since - the last position the subscriber saw, if it sent one
 */
export async function acknowledgeSubscription(
  deps: ActionDependencies,
  connectionId: string,
  channel: string,
  since: Position | undefined,
): Promise<RouteResult> {
  const store = historyOf(deps.history, channel);
  if (store === undefined) {
    // No history: the first protocol's frame, and a recovery that could not be made when one was asked for.
    const recovered = since === undefined ? undefined : false;
    return await acknowledge(deps, connectionId, subscribedFrame(channel, undefined, recovered), { channel });
  }
  try {
    const head = await store.head(channel);
    if (since === undefined)
      return await acknowledge(deps, connectionId, subscribedFrame(channel, head ?? null), { channel });
    const recovery = planRecovery(since, head);
    if (recovery.kind === "too large")
      return await refuseRecovery(deps, connectionId, channel, recovery.missed);
    const sent =
      recovery.kind === "send"
        ? await sendMissed(deps, connectionId, store, channel, recovery)
        : recovery.kind === "none"
          ? 0
          : false;
    if (sent === "gone") return { statusCode: 200 };
    // `recovered` in the log: how many messages were sent, or false.
    return await acknowledge(deps, connectionId, subscribedFrame(channel, head ?? null, sent !== false), {
      channel,
      recovered: sent,
    });
  } catch (error) {
    deps.log.error("reading the channel history failed", { error, channel });
    await rejectRequest(deps, connectionId, internalError("subscribe", { channel }));
    return { statusCode: 500, body: "history unavailable" };
  }
}

/**
 * `history`: answers `{"action":"history","channel":C,"messages":[…]}` with the channel's newest `limit` messages,
 * oldest first, each as it was sent; the oldest are left out if together they would pass 128 KB. (The route table
 * checked the subscribe right: whoever may hear the channel may read what it said.)
 * @param deps - history, send and log
 * @param connectionId - the sender
 * @param request - the channel and how many messages
 */
export async function history(
  deps: ActionDependencies,
  connectionId: string,
  request: Pick<HistoryRequest, "channel" | "limit">,
): Promise<RouteResult> {
  const { channel, limit } = request;
  const store = historyOf(deps.history, channel);
  if (store === undefined) return await rejectRequest(deps, connectionId, noHistory(channel));
  let frames: Uint8Array[];
  try {
    frames = await store.latest(channel, limit);
  } catch (error) {
    deps.log.error("reading the channel history failed", { error, channel });
    await rejectRequest(deps, connectionId, internalError("history", { channel }));
    return { statusCode: 500, body: "history unavailable" };
  }
  // Bytes are what API Gateway counts: the envelope, each frame as stored (UTF-8), a comma between two. Counted
  // once and the oldest dropped from the count, rather than the answer rebuilt and measured once per frame dropped.
  let bytes = frames.reduce(
    (sum, frame) => sum + frame.byteLength + 1,
    Buffer.byteLength(historyFrame(channel, [])) - 1,
  );
  let oldest = 0;
  while (oldest < frames.length && bytes > MAX_MESSAGE_BYTES) {
    bytes -= (frames[oldest] as Uint8Array).byteLength + 1;
    oldest += 1;
  }
  const decoder = new TextDecoder();
  const texts = frames.slice(oldest).map((frame) => decoder.decode(frame));
  const answer = historyFrame(channel, texts);
  if (await reply(deps, connectionId, answer))
    deps.log.info("history sent", { channel, messages: texts.length });
  return { statusCode: 200 };
}

/**
 * What a subscriber at `since` is owed, given the head: the messages after it in the same epoch, if they are few
 * enough; nothing when it is up to date; or an incomplete recovery when its epoch has ended (the history expired
 * and began again), when its position is past the head (not one the service gave), or when the history is empty
 * and it held a position (everything has expired).
 * @param since - the subscriber's last position; offset 0 (no epoch) is "before the first message"
 * @param head - the newest position, undefined for an empty history
 */
export function planRecovery(since: Position, head: Position | undefined): Recovery | { kind: "none" } {
  if (head === undefined) return since.offset === 0 ? { kind: "none" } : { kind: "incomplete" };
  const sameEpoch = since.offset === 0 || since.epoch === head.epoch;
  if (!sameEpoch || since.offset > head.offset) return { kind: "incomplete" };
  const missed = head.offset - since.offset;
  if (missed === 0) return { kind: "none" };
  if (missed > MAX_RECOVERY_MESSAGES) return { kind: "too large", missed };
  return { kind: "send", epoch: head.epoch, after: since.offset, upTo: head.offset };
}

/**
 * Sends the missed messages one at a time, in order (API Gateway keeps the order of sends made one after the other).
 * @returns how many were sent, false when some have expired (nothing is sent then), "gone" when the subscriber left
 */
async function sendMissed(
  deps: ActionDependencies,
  connectionId: string,
  store: HistoryStore,
  channel: string,
  recovery: Extract<Recovery, { kind: "send" }>,
): Promise<number | false | "gone"> {
  const frames = await store.range(channel, recovery.epoch, recovery.after, recovery.upTo);
  if (frames === undefined) return false;
  let sent = 0;
  for await (const frame of frames) {
    if (!(await reply(deps, connectionId, frame))) return "gone";
    sent += 1;
  }
  return sent;
}

/** A recovery too large to send: the subscription is undone (a refused request changes nothing), then refused. */
async function refuseRecovery(
  deps: ActionDependencies,
  connectionId: string,
  channel: string,
  missed: number,
): Promise<RouteResult> {
  try {
    await deps.memberships.unsubscribe(connectionId, channel);
  } catch (error) {
    // The client subscribes again without `since` at once; until then a stray membership delivers live messages.
    deps.log.warn("removing the refused subscription failed", { error, channel });
  }
  return await rejectRequest(deps, connectionId, recoveryTooLarge(channel, missed));
}

async function acknowledge(
  deps: ActionDependencies,
  connectionId: string,
  frame: string,
  logged: Record<string, unknown>,
): Promise<RouteResult> {
  if (await reply(deps, connectionId, frame)) deps.log.info("subscribed", logged);
  return { statusCode: 200 };
}
