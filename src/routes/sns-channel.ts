import { type ChannelFanoutDependencies, fanOutToChannel } from "../channel-fanout.js";
import { checkChannel, deliveryFrame } from "../channels.js";
import type { FanoutOptions, FanoutSummary } from "../fanout.js";

/** What an SNS record with a `channel` attribute turned into. */
export type SnsChannelOutcome =
  | { kind: "delivered"; summary: FanoutSummary }
  | { kind: "rejected"; reason: string };

/**
 * An SNS message with a `channel` attribute (String): delivered to that channel's members as
 * `{"channel":C,"message":M,"id":<SNS MessageId>}`, M being the parsed JSON body. The MessageId stays the same
 * across Lambda's retries of the event, so a subscriber can drop the duplicates a retry causes. Called by
 * `routes/sns.ts` for each record that carries the attribute (phase two).
 * @param deps - store (decorated with membership cleanup), memberships, send and log
 * @param record - the record's MessageId, Message and the attribute's value
 * @param options - the engine's options
 * @returns the fan-out summary, or why the record was refused (to be logged with its MessageId)
 * @throws FanoutError when listing the members failed (so Lambda retries the event)
 */
export async function deliverSnsToChannel(
  deps: ChannelFanoutDependencies,
  record: { messageId: string; message: unknown; channel: unknown },
  options: Partial<FanoutOptions> = {},
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
  return { kind: "delivered", summary: await fanOutToChannel(deps, channel.value, data.value, options) };
}
