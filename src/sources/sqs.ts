/**
 * The SQS adapter: the shard queue's event source mapping (batch size 1) hands the function shard jobs; each is run
 * by the shard worker (`runShard` of `src/delivery/dispatch.ts`), and the records to retry are reported back.
 */
import type { SQSBatchResponse, SQSEvent } from "aws-lambda";
import { audienceOf, type Dependencies, fanoutSettings } from "../app/dependencies.js";
import { describeAudience } from "../delivery/audience.js";
import { runShard } from "../delivery/dispatch.js";
import { ListingFailedError } from "../delivery/engine.js";
import { parseShardJob, tooLateToReplay } from "../delivery/shard-job.js";

/** The log keys of one record, removed after it. */
const RECORD_KEYS = ["sqsMessageId", "audience", "channel", "dispatchId", "shard", "buckets", "receiveCount"];

/**
 * Runs each record's shard job, one after the other, and reports the records to retry (`ReportBatchItemFailures`),
 * so that one shard's failure never retries another.
 *
 * A record is reported failed when its job cannot be read (so that it ends in the dead-letter queue, where it can be
 * looked at, rather than vanish) or when listing its audience failed: the retry runs the whole shard again, to the
 * audience of the dispatch, so the recipients reached before the failure get the frame twice, and only they (no
 * other shard's). A redelivery past `FANOUT_SHARD_MAX_AGE_SECONDS` is not run: it is set aside in the dead-letter
 * queue with its reason and acknowledged (`tooLateToReplay`). Failed sends (timeouts, exhausted throttle retries)
 * are counted in the summary and not retried, as in one invocation: retrying the shard for them would repeat the
 * frame to every recipient that did get it.
 * @param deps - the dependencies of this execution environment
 * @param event - the SQS event
 */
export async function handle(deps: Dependencies, event: SQSEvent): Promise<SQSBatchResponse> {
  // A configured endpoint wins: the queue is only writable by this function, but the configuration is the
  // operator's word.
  const configured = deps.config.managementEndpoint;
  const worker = {
    source: audienceOf(deps),
    store: deps.store,
    sendFor: (jobEndpoint: string) => deps.senders.for(configured ?? jobEndpoint),
    log: deps.log,
    pace: deps.pace,
    fanout: fanoutSettings(deps.config),
  };
  const failures: SQSBatchResponse["batchItemFailures"] = [];
  for (const record of event.Records) {
    deps.log.appendKeys({ sqsMessageId: record.messageId });
    try {
      const parsed = parseShardJob(record.body, Number(record.attributes?.SentTimestamp));
      if (!parsed.ok) {
        deps.log.error("shard job rejected; it will go to the dead-letter queue", { reason: parsed.error });
        failures.push({ itemIdentifier: record.messageId });
        continue;
      }
      const job = parsed.value;
      const receiveCount = Number(record.attributes?.ApproximateReceiveCount ?? 1);
      deps.log.appendKeys({
        ...describeAudience(job.audience),
        dispatchId: job.dispatchId,
        shard: `${job.shard.index + 1}/${job.shard.count}`,
        buckets: `${job.range.from}-${job.range.to - 1}`,
        receiveCount,
      });
      const late = tooLateToReplay(
        job,
        receiveCount,
        Date.now(),
        deps.config.fanoutShardMaxAgeSeconds * 1000,
      );
      if (late !== undefined) {
        if (!(await setAside(deps, record.body, late))) failures.push({ itemIdentifier: record.messageId });
        continue;
      }
      await runShard(worker, job);
    } catch (error) {
      // The worker has logged a ListingFailedError; anything else is a bug worth its own line.
      if (!(error instanceof ListingFailedError)) deps.log.error("shard failed", { error });
      failures.push({ itemIdentifier: record.messageId });
    } finally {
      deps.log.removeKeys(RECORD_KEYS);
    }
  }
  return { batchItemFailures: failures };
}

/**
 * Sets a job that must not run aside in the dead-letter queue, with its reason. Tells whether it is there: if not
 * (no dead-letter queue configured, or SQS failed), the record is reported failed, and the queue's redrive policy
 * moves it there after its last receive (running it never: every later receive is later still).
 */
async function setAside(deps: Dependencies, body: string, reason: string): Promise<boolean> {
  if (deps.deadLetters === undefined) {
    deps.log.error("shard job too late to replay, and no dead-letter queue is configured", { reason });
    return false;
  }
  try {
    await deps.deadLetters.setAside(body, reason);
    deps.log.warn("shard job too late to replay: set aside in the dead-letter queue", { reason });
    return true;
  } catch (error) {
    deps.log.error("shard job too late to replay, and setting it aside failed", { reason, error });
    return false;
  }
}
