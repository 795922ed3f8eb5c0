import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import type { ConnectionStore } from "../connections.js";
import { type AudienceSource, describeAudience, parseShardJob } from "../dispatch.js";
import { FanoutError, type FanoutOptions, fanOut, logFanout, type Send } from "../fanout.js";
import type { Log } from "../log.js";

/** What a shard worker needs. */
export interface ShardWorkerDependencies {
  /** Lists each job's audience within its buckets. */
  source: AudienceSource;
  /** Where gone recipients are removed. */
  store: ConnectionStore;
  /** The `Send` of an @connections endpoint: the configured one if any, else the job's. */
  sendFor: (jobEndpoint: string) => Send;
  /** The invocation's logger. */
  log: Log;
  /** Waits for each send's turn; the shard's share of the account's @connections throttle. */
  pace: (() => Promise<void>) | undefined;
  /** The engine's settings. */
  fanout: Partial<FanoutOptions>;
}

/**
 * SQS (the shard queue's event source mapping, batch size 1): runs each record's shard job, one after the other,
 * and reports the records to retry (`ReportBatchItemFailures`), so that one shard's failure never retries another.
 *
 * A record is reported failed when its job cannot be read (so that it ends in the dead-letter queue, where it can be
 * looked at, rather than vanish) or when listing its audience failed: the retry runs the whole shard again, so the
 * recipients reached before the failure get the frame twice, and only they (no other shard's). Failed sends
 * (timeouts, exhausted throttle retries) are counted in the summary and not retried, as in one invocation:
 * retrying the shard for them would repeat the frame to every recipient that did get it.
 * @param deps - see {@link ShardWorkerDependencies}
 * @param event - the SQS event
 */
export async function runShards(deps: ShardWorkerDependencies, event: SQSEvent): Promise<SQSBatchResponse> {
  const failures: SQSBatchResponse["batchItemFailures"] = [];
  for (const record of event.Records) {
    deps.log.appendKeys({ sqsMessageId: record.messageId });
    try {
      const parsed = parseShardJob(record.body);
      if (!parsed.ok) {
        deps.log.error("shard job rejected; it will go to the dead-letter queue", { reason: parsed.reason });
        failures.push({ itemIdentifier: record.messageId });
        continue;
      }
      const { job } = parsed;
      deps.log.appendKeys({
        ...describeAudience(job.audience),
        dispatchId: job.dispatchId,
        shard: `${job.shard.index + 1}/${job.shard.count}`,
        buckets: `${job.range.from}-${job.range.to - 1}`,
        receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? 1),
      });
      const summary = await fanOut(
        {
          store: deps.store,
          source: deps.source.pages(job.audience, job.range),
          send: deps.sendFor(job.endpoint),
          log: deps.log,
          pace: deps.pace,
        },
        Buffer.from(job.data, "base64"),
        deps.fanout,
      );
      logFanout(deps.log, summary);
    } catch (error) {
      if (error instanceof FanoutError) logFanout(deps.log, error);
      else deps.log.error("shard failed", { error });
      failures.push({ itemIdentifier: record.messageId });
    } finally {
      deps.log.removeKeys([
        "sqsMessageId",
        "audience",
        "channel",
        "dispatchId",
        "shard",
        "buckets",
        "receiveCount",
      ]);
    }
  }
  return { batchItemFailures: failures };
}
