/**
 * What the benchmark reads from a running stack with the AWS SDK, as a user would read the deployed stack: the shard
 * dead-letter queue's depth and the connection store's listing rate.
 */
import { S3Client } from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { LocalStackOutputs } from "../../../src/contract/index.js";
import { keyPages } from "../../lib/s3-keys.js";
import { LOCAL_CREDENTIALS } from "../../local-stack/emulator/emulator.js";

/** Shards in the dead-letter queue now (read with the SQS API, as a user would read the deployed queue). */
export async function deadLetterQueueDepth(o: LocalStackOutputs): Promise<number> {
  const sqs = new SQSClient({ endpoint: o.sqs_endpoint, region: o.region, credentials: LOCAL_CREDENTIALS });
  try {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: o.shard_dead_letter_queue_url,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    return (
      Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
      Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
    );
  } finally {
    sqs.destroy();
  }
}

/**
 * Lists every key under the connection prefix, 1,000 a page, one page after the other (as one listing does), and
 * returns the keys a second: the local emulator's rate, not S3's.
 */
export async function connectionListingRate(o: LocalStackOutputs): Promise<number> {
  const s3 = new S3Client({
    endpoint: o.s3_endpoint,
    region: o.region,
    forcePathStyle: true,
    credentials: LOCAL_CREDENTIALS,
  });
  try {
    const start = performance.now();
    let keys = 0;
    for await (const page of keyPages(s3, o.connection_bucket, `${o.connection_prefix}/`))
      keys += page.length;
    return (keys / (performance.now() - start)) * 1000;
  } finally {
    s3.destroy();
  }
}
