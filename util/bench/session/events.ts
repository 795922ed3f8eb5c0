/**
 * The Lambda events the benchmark hands the bundle itself, as AWS delivers them: an SNS notification and a shard
 * job on the shard queue (the job's fields as `src/delivery/shard-job.ts` reads them; `util/` may import only the
 * contract, so the job is written out here and `test/deployment/bundle.test.ts` runs it through the bundle).
 */
import { ALL_BUCKETS, type BucketRange } from "../../../src/contract/index.js";

/**
 * An SNS event of one record, as SNS invokes the function.
 * @param data - the message's bytes
 * @param sequence - numbers its MessageId
 */
export function snsEvent(data: Uint8Array, sequence: number): object {
  return {
    Records: [
      {
        EventSource: "aws:sns",
        EventVersion: "1.0",
        EventSubscriptionArn: "arn:aws:sns:us-east-1:000000000000:bench:sub",
        Sns: {
          Type: "Notification",
          MessageId: `bench-${sequence}`,
          TopicArn: "arn:aws:sns:us-east-1:000000000000:bench",
          Subject: null,
          Message: new TextDecoder().decode(data),
          Timestamp: new Date().toISOString(),
          MessageAttributes: {},
        },
      },
    ],
  };
}

/** What a shard job of {@link shardEvent} carries. */
export interface ShardEventOptions {
  /** The frame to send. */
  data: Uint8Array;
  /** The @connections endpoint. */
  endpoint: string;
  /** The dispatching invocation's request id. */
  dispatchId: string;
  /** The SQS record's id, which a batch item failure names. */
  messageId: string;
  region: string;
  /** The buckets to list; every one by default. */
  range?: BucketRange;
}

/**
 * An SQS event of the shard queue with one job: every connection, one shard, dispatched now.
 * @param options - see {@link ShardEventOptions}
 */
export function shardEvent(options: ShardEventOptions): object {
  const job = {
    v: 1,
    audience: { kind: "everyone" },
    range: options.range ?? ALL_BUCKETS,
    shard: { index: 0, count: 1 },
    endpoint: options.endpoint,
    data: Buffer.from(options.data).toString("base64"),
    dispatchId: options.dispatchId,
    // A worker refuses a job without its dispatch time (a redelivery is judged by its age).
    dispatchedAt: Date.now(),
  };
  return {
    Records: [
      {
        messageId: options.messageId,
        receiptHandle: "bench",
        body: JSON.stringify(job),
        attributes: { ApproximateReceiveCount: "1", SentTimestamp: String(Date.now()) },
        messageAttributes: {},
        md5OfBody: "",
        eventSource: "aws:sqs",
        eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:fanout-bench-shards",
        awsRegion: options.region,
      },
    ],
  };
}
