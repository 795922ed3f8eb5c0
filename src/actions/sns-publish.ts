import type { Log } from "../app/log.js";
import { MAX_MESSAGE_BYTES } from "../contract/limits.js";
import { channelFrame } from "../contract/messages.js";
import { EVERYONE } from "../delivery/audience.js";
import type { Dispatch, DispatchResult } from "../delivery/dispatch.js";
import { checkChannel } from "../protocol/requests.js";
import { type ChannelHistory, historyOf } from "./dependencies.js";
import { positioned } from "./history.js";

/** What an SNS message turned into: handed to the dispatch (sent inline, or enqueued in shards), or refused. */
export type SnsOutcome = ({ kind: "delivered" } & DispatchResult) | { kind: "rejected"; reason: string };

/**
 * An SNS message without a `channel` attribute: delivered, unchanged, to every connection (publishers choose the
 * frame), through the dispatch, so a large audience shards like a broadcast. A message that is not JSON or is over
 * the WebSocket limit is refused, with the reason to log.
 * @param deps - the dispatch of this event (it logs the fan-out)
 * @param message - the record's `Message` (anything, for a hostile event)
 * @throws ListingFailedError when listing failed, ShardQueueError when shards were not enqueued (so that Lambda
 *   retries the event)
 */
export async function publishToEveryone(deps: { dispatch: Dispatch }, message: unknown): Promise<SnsOutcome> {
  if (typeof message !== "string") return rejected(NO_TEXT);
  const data = Buffer.from(message, "utf8");
  if (data.byteLength > MAX_MESSAGE_BYTES) {
    return rejected(
      `the message is ${data.byteLength} bytes; a WebSocket message may be at most ${MAX_MESSAGE_BYTES} bytes`,
    );
  }
  if (parseJson(message) === NOT_JSON) return rejected(NOT_JSON_REASON);
  return { kind: "delivered", ...(await deps.dispatch(EVERYONE, data)) };
}

/**
 * An SNS message with a `channel` attribute (String): delivered to that channel's members as
 * `{"channel":C,"message":M,"id":<SNS MessageId>}`, M being the parsed JSON body, through the dispatch, so a large
 * channel shards like a broadcast. The MessageId stays the same across Lambda's retries of the event, so a
 * subscriber can drop the duplicates a retry causes. On a channel that keeps history the message is written there
 * first and its frame carries its position, as a client's publish; a retried event writes it again, at a new
 * position with the same id.
 * @param deps - the dispatch of this event (it logs the fan-out), the channel history and the log
 * @param sns - the record's MessageId, Message and the attribute's value
 * @throws ListingFailedError when listing the members failed, ShardQueueError when shards were not enqueued,
 *   StoreError when the history could not be written (nothing was sent then)
 */
export async function publishToChannel(
  deps: { dispatch: Dispatch; history?: ChannelHistory; log: Log },
  sns: { messageId: string; message: unknown; channel: unknown },
): Promise<SnsOutcome> {
  const channel = checkChannel(sns.channel);
  if (!channel.ok) return rejected(`the channel attribute is invalid: ${channel.error.message}`);
  if (typeof sns.message !== "string") return rejected(NO_TEXT);
  const message = parseJson(sns.message);
  if (message === NOT_JSON) return rejected(NOT_JSON_REASON);
  const history = historyOf(deps.history, channel.value);
  const frame = channelFrame(channel.value, message, sns.messageId, history !== undefined);
  if (!frame.ok) return rejected(frame.error.message);
  const data = await positioned(history, channel.value, frame.value, deps.log);
  return { kind: "delivered", ...(await deps.dispatch({ kind: "channel", channel: channel.value }, data)) };
}

function rejected(reason: string): SnsOutcome {
  return { kind: "rejected", reason };
}

const NO_TEXT = "the record has no message text";
const NOT_JSON: unique symbol = Symbol("not JSON");
const NOT_JSON_REASON = "the message is not JSON; publish a JSON document";

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return NOT_JSON;
  }
}
