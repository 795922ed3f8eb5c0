import { checkChannel, deliveryFrame } from "../channels.js";
import type { Dispatch, DispatchResult } from "../dispatch.js";

/**
 * What an SNS record with a `channel` attribute turned into: handed to the dispatch (sent inline, or enqueued in
 * shards; `DispatchResult` says which), or refused.
 */
export type SnsChannelOutcome =
  | ({ kind: "delivered" } & DispatchResult)
  | { kind: "rejected"; reason: string };

/**
 * An SNS message with a `channel` attribute (String): delivered to that channel's members as
 * `{"channel":C,"message":M,"id":<SNS MessageId>}`, M being the parsed JSON body, through
 * `dispatch({kind:"channel",channel}, frame)`, so a large channel shards like a broadcast. The MessageId stays the
 * same across Lambda's retries of the event, so a subscriber can drop the duplicates a retry causes. Called by
 * `routes/sns.ts` for each record that carries the attribute.
 * @param deps - the dispatch of this event (it logs the fan-out)
 * @param record - the record's MessageId, Message and the attribute's value
 * @returns the dispatch's result, or why the record was refused (to be logged with its MessageId)
 * @throws FanoutError when listing the members failed, ShardQueueError when shards were not enqueued (so Lambda
 * retries the event)
 */
export async function deliverSnsToChannel(
  deps: { dispatch: Dispatch },
  record: { messageId: string; message: unknown; channel: unknown },
): Promise<SnsChannelOutcome> {
  const channel = checkChannel(record.channel);
  if (!channel.ok)
    return { kind: "rejected", reason: `the channel attribute is invalid: ${channel.rejection.message}` };
  if (typeof record.message !== "string")
    return { kind: "rejected", reason: "the record has no message text" };
  let message: unknown;
  try {
    message = JSON.parse(record.message);
  } catch {
    return { kind: "rejected", reason: "the message is not JSON; publish a JSON document" };
  }
  const data = deliveryFrame(channel.value, message, record.messageId);
  if (!data.ok) return { kind: "rejected", reason: data.rejection.message };
  const result = await deps.dispatch({ kind: "channel", channel: channel.value }, data.value);
  return { kind: "delivered", ...result };
}
