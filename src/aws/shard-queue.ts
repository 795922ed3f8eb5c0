// A type only: the SQS client is loaded on the first enqueue (see SqsShardQueue), in a chunk of its own.
import type { SQSClient } from "@aws-sdk/client-sqs";
import {
  encodeShardJob,
  type ShardDeadLetters,
  type ShardJob,
  type ShardQueue,
  ShardQueueError,
} from "../delivery/shard-job.js";

/** SQS takes at most 10 messages a batch. */
const MAX_BATCH_ENTRIES = 10;

/**
 * SQS caps a batch's total payload like one message's: 256 KiB. Kept a little under, for the attribute-free
 * envelope SQS counts too.
 */
const MAX_BATCH_BYTES = 250 * 1024;

/** Entries SQS refused are sent again this many times (a batch can fail in part, e.g. throttled entries). */
const RESEND_ATTEMPTS = 2;

/**
 * The SQS client of the function's region, made on first use. The SDK's standard `AWS_ENDPOINT_URL_SQS` can point
 * it at an emulator.
 */
export async function defaultSqsClient(): Promise<SQSClient> {
  const { SQSClient } = await import("./sqs-sdk.js");
  return new SQSClient({});
}

/**
 * The shard queue in SQS: SendMessageBatch, packed by count and by bytes, and the worker's way to its dead-letter
 * queue. The SQS SDK is loaded on the first call, not when the module loads: only a fan-out larger than the inline
 * maximum enqueues, so the other routes and small fan-outs never load or compile it.
 */
export class SqsShardQueue implements ShardQueue, ShardDeadLetters {
  private client: Promise<SQSClient> | undefined;

  /**
   * @param client - the SQS client, or how to make it on first use
   * @param queueUrl - the queue's URL
   * @param deadLetterQueueUrl - its dead-letter queue's URL (`setAside` fails without one)
   */
  constructor(
    private readonly clientSource: SQSClient | (() => Promise<SQSClient>),
    private readonly queueUrl: string,
    private readonly deadLetterQueueUrl?: string,
  ) {}

  /** @inheritdoc */
  async setAside(body: string, reason: string): Promise<void> {
    if (this.deadLetterQueueUrl === undefined) throw new Error("no dead-letter queue is configured");
    const [client, { SendMessageCommand }] = await Promise.all([this.sqs(), import("./sqs-sdk.js")]);
    await client.send(
      new SendMessageCommand({
        QueueUrl: this.deadLetterQueueUrl,
        MessageBody: body,
        MessageAttributes: { reason: { DataType: "String", StringValue: reason } },
      }),
    );
  }

  private sqs(): Promise<SQSClient> {
    if (this.client === undefined) {
      const source = this.clientSource;
      const made = typeof source === "function" ? source() : Promise.resolve(source);
      // A failed load is not kept: the next dispatch tries again.
      made.catch(() => {
        this.client = undefined;
      });
      this.client = made;
    }
    return this.client;
  }

  /** @inheritdoc */
  async enqueue(jobs: readonly ShardJob[]): Promise<void> {
    let client: SQSClient;
    let SendMessageBatchCommand: typeof import("./sqs-sdk.js").SendMessageBatchCommand;
    try {
      [client, { SendMessageBatchCommand }] = await Promise.all([this.sqs(), import("./sqs-sdk.js")]);
    } catch (error) {
      // The SDK failed to load (a broken deployment): nothing was sent, and the dispatch reports it as usual.
      throw new ShardQueueError(jobs.length, jobs.length, { cause: error });
    }
    let pending = jobs.map((job, index) => ({ id: String(index), body: encodeShardJob(job) }));
    let lastError: unknown;
    for (let attempt = 0; attempt <= RESEND_ATTEMPTS && pending.length > 0; attempt++) {
      const failed: typeof pending = [];
      for (const batch of packBatches(pending)) {
        try {
          const output = await client.send(
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
