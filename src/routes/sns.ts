import type { SNSEvent } from "aws-lambda";
import { FanoutError, fanOut, logFanout, type Send } from "../fanout.js";
import { MAX_MESSAGE_BYTES } from "../limits.js";
import { deliverSnsToChannel } from "./sns-channel.js";
import type { MessageDependencies } from "./types.js";

/** The SNS message attribute that sends a message to one channel's subscribers instead of everyone. */
export const CHANNEL_ATTRIBUTE = "channel";

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

/** What the SNS use case receives: the message routes' dependencies, but `send` may be missing. */
export interface SnsDependencies extends Omit<MessageDependencies, "send" | "rights" | "maxBroadcastBytes"> {
  /** Sends through the configured @connections endpoint; undefined when none is configured. */
  send: Send | undefined;
}

/**
 * SNS: delivers every record's message, unchanged, to every connection; a record with a `channel` message
 * attribute goes to that channel's subscribers only, as `{"channel":C,"message":M,"id":<MessageId>}`
 * (`sns-channel.ts`). A record that is not JSON, exceeds the WebSocket limit or names an invalid channel is logged
 * with its MessageId and skipped; the others are still delivered.
 *
 * Only a store failure throws, after every record has been tried: Lambda then retries the event (twice, for
 * asynchronous invocations), so a transient S3 error does not lose the message, at the price of a duplicate for
 * recipients reached before the failure. A missing endpoint is logged, not thrown: a retry cannot fix it.
 * @param deps - store, send, log and fan-out settings
 * @param event - the SNS event
 * @throws SnsDeliveryError when listing the store failed for at least one record
 */
export async function deliverSns(deps: SnsDependencies, event: SNSEvent): Promise<void> {
  const messageIds = event.Records.map((record) => record.Sns.MessageId);
  const send = deps.send;
  if (send === undefined) {
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
        const outcome = await deliverSnsToChannel(
          { store: deps.store, memberships: deps.memberships, send, log: deps.log },
          { messageId: record.Sns.MessageId, message: record.Sns.Message, channel: channel.Value },
          deps.fanout,
        );
        if (outcome.kind === "rejected") deps.log.error("SNS message rejected", { reason: outcome.reason });
        else logFanout(deps.log, outcome.summary);
        continue;
      }
      const data = snsPayload(record.Sns.Message);
      if (typeof data === "string") {
        deps.log.error("SNS message rejected", { reason: data });
        continue;
      }
      logFanout(deps.log, await fanOut({ store: deps.store, send, log: deps.log }, data, deps.fanout));
    } catch (error) {
      if (error instanceof FanoutError) logFanout(deps.log, error);
      else deps.log.error("SNS delivery failed", { error });
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
