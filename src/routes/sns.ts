import type { SNSEvent } from "aws-lambda";
import { MAX_MESSAGE_BYTES } from "../contract/limits.js";
import { CHANNEL_ATTRIBUTE } from "../contract/messages.js";
import { type Dispatch, EVERYONE, ShardQueueError } from "../dispatch.js";
import { FanoutError } from "../fanout.js";
import { deliverSnsToChannel } from "./sns-channel.js";
import type { MessageDependencies } from "./types.js";

/** Delivering at least one SNS record failed because the connection store could not be listed. */
export class SnsDeliveryError extends Error {
  override readonly name = "SnsDeliveryError";

  /**
   * @param messageIds - the records that were not fully delivered
   * @param options - the first failure
   */
  constructor(
    readonly messageIds: string[],
    options: ErrorOptions,
  ) {
    super(`fan-out incomplete for SNS message(s) ${messageIds.join(", ")}`, options);
  }
}

/** What the SNS use case receives: the message routes' dependencies, but `dispatch` may be missing. */
export interface SnsDependencies
  extends Omit<MessageDependencies, "send" | "dispatch" | "rights" | "maxBroadcastBytes"> {
  /** Dispatches through the configured @connections endpoint; undefined when none is configured. */
  dispatch: Dispatch | undefined;
}

/**
 * SNS: delivers every record's message, unchanged, to every connection; a record with a `channel` message
 * attribute goes to that channel's subscribers only, as `{"channel":C,"message":M,"id":<MessageId>}`
 * (`sns-channel.ts`). A record that is not JSON, exceeds the WebSocket limit or names an invalid channel is logged
 * with its MessageId and skipped; the others are still delivered.
 *
 * Each record's fan-out is dispatched (`dispatch.ts`): small ones are sent in this invocation, large ones are
 * enqueued in shards. Only a store or queue failure throws, after every record has been tried: Lambda then retries
 * the event (twice, for asynchronous invocations), so a transient error does not lose the message, at the price
 * of a duplicate for recipients reached (or shards enqueued) before the failure. A missing endpoint is logged, not
 * thrown: a retry cannot fix it.
 * @param deps - store, send, log and fan-out settings
 * @param event - the SNS event
 * @throws SnsDeliveryError when listing the store or enqueueing shards failed for at least one record
 */
export async function deliverSns(deps: SnsDependencies, event: SNSEvent): Promise<void> {
  const messageIds = event.Records.map((record) => record.Sns.MessageId);
  const dispatch = deps.dispatch;
  if (dispatch === undefined) {
    deps.log.error(
      "MANAGEMENT_ENDPOINT is not set, so SNS messages cannot be delivered; set it on the function",
      {
        snsMessageIds: messageIds,
      },
    );
    return;
  }
  const failed: string[] = [];
  let firstError: unknown;
  for (const record of event.Records) {
    deps.log.appendKeys({ snsMessageId: record.Sns.MessageId });
    try {
      const channel = record.Sns.MessageAttributes?.[CHANNEL_ATTRIBUTE];
      if (channel !== undefined) {
        if (channel.Type !== "String") {
          deps.log.error("SNS message rejected", {
            reason: `the channel attribute is of type ${channel.Type}; send it as a String attribute`,
          });
          continue;
        }
        // Logged by the dispatch when delivered, as below.
        const outcome = await deliverSnsToChannel(
          { dispatch },
          { messageId: record.Sns.MessageId, message: record.Sns.Message, channel: channel.Value },
        );
        if (outcome.kind === "rejected") deps.log.error("SNS message rejected", { reason: outcome.reason });
        continue;
      }
      const data = snsPayload(record.Sns.Message);
      if (typeof data === "string") {
        deps.log.error("SNS message rejected", { reason: data });
        continue;
      }
      // Logged by the dispatch: the dispatch line, and an inline fan-out's summary.
      await dispatch(EVERYONE, data);
    } catch (error) {
      if (!(error instanceof FanoutError) && !(error instanceof ShardQueueError))
        deps.log.error("SNS delivery failed", { error });
      failed.push(record.Sns.MessageId);
      firstError ??= error;
    } finally {
      deps.log.removeKeys(["snsMessageId"]);
    }
  }
  if (failed.length > 0) throw new SnsDeliveryError(failed, { cause: firstError });
}

/**
 * The bytes sent for an SNS message (the message itself: publishers choose the frame), or why it is refused.
 * @param message - the record's `Sns.Message`
 */
function snsPayload(message: unknown): Uint8Array | string {
  if (typeof message !== "string") return "the record has no message text";
  const data = Buffer.from(message, "utf8");
  if (data.byteLength > MAX_MESSAGE_BYTES) {
    return `the message is ${data.byteLength} bytes; a WebSocket message may be at most ${MAX_MESSAGE_BYTES} bytes`;
  }
  try {
    JSON.parse(message);
  } catch {
    return "the message is not JSON; publish a JSON document";
  }
  return data;
}
