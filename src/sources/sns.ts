/**
 * The SNS adapter: every record of the input topic's event is published (`src/actions/sns-publish.ts`), one after
 * the other; records of another topic are refused here.
 */
import type { Context, SNSEvent, SNSEventRecord } from "aws-lambda";
import { publishToChannel, publishToEveryone } from "../actions/sns-publish.js";
import type { AuthConfig } from "../app/config.js";
import { type Dependencies, dispatchFor } from "../app/dependencies.js";
import type { Log } from "../app/log.js";
import { CHANNEL_ATTRIBUTE } from "../contract/messages.js";
import { ListingFailedError } from "../delivery/engine.js";
import { ShardQueueError } from "../delivery/shard-job.js";

/** Delivering at least one SNS record failed because its audience could not be listed or its shards enqueued. */
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

/**
 * Answers one SNS event: every record's message goes to every connection, or to the members of the channel its
 * `channel` attribute names. A record that is not JSON, exceeds the WebSocket limit or names an invalid channel is
 * logged with its MessageId and skipped; the others are still delivered.
 *
 * Each record's fan-out is dispatched through the configured @connections endpoint: small ones are sent in this
 * invocation, large ones are enqueued in shards. Only a store or queue failure throws, after every record has been
 * tried: Lambda then retries the event (twice, for asynchronous invocations), so a transient error does not lose the
 * message, at the price of a duplicate for recipients reached (or shards enqueued) before the failure. A missing
 * endpoint is logged, not thrown: a retry cannot fix it.
 * @param deps - the dependencies of this execution environment
 * @param event - the SNS event
 * @param context - the Lambda context: its request id joins the dispatch's shards
 * @throws SnsDeliveryError when listing an audience or enqueueing shards failed for at least one record
 */
export async function handle(
  deps: Dependencies,
  event: SNSEvent,
  context: Context | undefined,
): Promise<undefined> {
  const records = ownTopicRecords(event, deps.config.auth, deps.log).Records;
  const endpoint = deps.config.managementEndpoint;
  if (endpoint === undefined) {
    deps.log.error(
      "MANAGEMENT_ENDPOINT is not set, so SNS messages cannot be delivered; set it on the function",
      {
        snsMessageIds: records.map((record) => record.Sns.MessageId),
      },
    );
    return undefined;
  }
  const dispatchId = context?.awsRequestId ?? event.Records[0]?.Sns.MessageId ?? "sns";
  const dispatch = dispatchFor(deps, endpoint, deps.senders.for(endpoint), dispatchId);
  const failed: string[] = [];
  let firstError: unknown;
  for (const record of records) {
    deps.log.appendKeys({ snsMessageId: record.Sns.MessageId });
    try {
      const channel = record.Sns.MessageAttributes?.[CHANNEL_ATTRIBUTE];
      if (channel !== undefined && channel.Type !== "String") {
        deps.log.error("SNS message rejected", {
          reason: `the channel attribute is of type ${channel.Type}; send it as a String attribute`,
        });
        continue;
      }
      // Logged by the dispatch when delivered: the dispatch line, and an inline fan-out's summary.
      const outcome =
        channel === undefined
          ? await publishToEveryone({ dispatch }, record.Sns.Message)
          : await publishToChannel(
              { dispatch, history: deps.history, log: deps.log },
              { messageId: record.Sns.MessageId, message: record.Sns.Message, channel: channel.Value },
            );
      if (outcome.kind === "rejected") deps.log.error("SNS message rejected", { reason: outcome.reason });
    } catch (error) {
      if (!(error instanceof ListingFailedError) && !(error instanceof ShardQueueError))
        deps.log.error("SNS delivery failed", { error });
      failed.push(record.Sns.MessageId);
      firstError ??= error;
    } finally {
      deps.log.removeKeys(["snsMessageId", "offset", "epoch"]);
    }
  }
  if (failed.length > 0) throw new SnsDeliveryError(failed, { cause: firstError });
  return undefined;
}

/**
 * The records of an SNS event that come from this stack's input topic; the others are logged and dropped.
 * @param event - the SNS event
 * @param auth - the expected topic ARN, if configured
 * @param log - the logger
 */
function ownTopicRecords(event: SNSEvent, auth: Pick<AuthConfig, "inputTopicArn">, log: Log): SNSEvent {
  const expected = auth.inputTopicArn;
  if (expected === undefined) return event;
  const kept: SNSEventRecord[] = [];
  for (const record of event.Records) {
    const topicArn: unknown = record.Sns.TopicArn;
    if (topicArn === expected) {
      kept.push(record);
      continue;
    }
    log.error("SNS record refused: it comes from another topic (a forged invocation?)", {
      snsMessageId: typeof record.Sns.MessageId === "string" ? record.Sns.MessageId.slice(0, 64) : undefined,
      topicArn: typeof topicArn === "string" ? topicArn.slice(0, 256) : typeof topicArn,
      expectedTopicArn: expected,
    });
  }
  return { Records: kept };
}
