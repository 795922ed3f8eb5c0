import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { type ShardJob, type ShardQueue, ShardQueueError } from "./dispatch.js";

/** SQS takes at most 10 messages a batch. */
const MAX_BATCH_ENTRIES = 10;

/**
 * SQS caps a batch's total payload like one message's: 256 KiB. Kept a little under, for the attribute-free
 * envelope SQS counts too.
 */
const MAX_BATCH_BYTES = 250 * 1024;

/** Entries SQS refused are sent again this many times (a batch can fail in part, e.g. throttled entries). */
const RESEND_ATTEMPTS = 2;

/** The shard queue in SQS: SendMessageBatch, packed by count and by bytes. */
export class SqsShardQueue implements ShardQueue {
  /**
   * @param client - the SQS client
   * @param queueUrl - the queue's URL
   */
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  /** @inheritdoc */
  async enqueue(jobs: readonly ShardJob[]): Promise<void> {
    let pending = jobs.map((job, index) => ({ id: String(index), body: JSON.stringify(job) }));
    let lastError: unknown;
    for (let attempt = 0; attempt <= RESEND_ATTEMPTS && pending.length > 0; attempt++) {
      const failed: typeof pending = [];
      for (const batch of packBatches(pending)) {
        try {
          const output = await this.client.send(
            new SendMessageBatchCommand({
              QueueUrl: this.queueUrl,
              Entries: batch.map(({ id, body }) => ({ Id: id, MessageBody: body })),
            }),
          );
          const refused = new Set((output.Failed ?? []).map((entry) => entry.Id));
          for (const entry of batch) if (refused.has(entry.id)) failed.push(entry);
          if (refused.size > 0)
            lastError = new Error(output.Failed?.[0]?.Message ?? "SendMessageBatch refused entries");
        } catch (error) {
          // A whole batch failed (network, throttling, permissions): its entries are tried again.
          failed.push(...batch);
          lastError = error;
        }
      }
      pending = failed;
    }
    if (pending.length > 0) throw new ShardQueueError(pending.length, jobs.length, { cause: lastError });
  }
}

/**
 * Packs entries into batches of at most 10 and at most {@link MAX_BATCH_BYTES} in total.
 * @param entries - the messages
 */
export function packBatches<T extends { body: string }>(entries: readonly T[]): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = Buffer.byteLength(entry.body, "utf8");
    if (current.length > 0 && (current.length === MAX_BATCH_ENTRIES || bytes + size > MAX_BATCH_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
