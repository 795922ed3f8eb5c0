import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";

/**
 * Lambda's SQS event source mapping, for the local stack: the fan-out shard queue and its dead-letter queue in the
 * emulator (fauxqs), and pollers that hand each batch to the function as an SQS event and delete what it did not
 * report failed (`ReportBatchItemFailures`). A failed record, or a whole batch whose invocation failed, stays in the
 * queue and comes back when its visibility timeout ends; after `maxReceiveCount` receives the emulator moves it to
 * the dead-letter queue (fauxqs implements the queue's `RedrivePolicy`). As on AWS, `maxConcurrency` pollers run at
 * once, so at most that many invocations hold shards.
 */

/** Settings of {@link startEventSourceMapping}. */
export interface EventSourceMappingOptions {
  /** The emulator's endpoint. */
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** The shard queue's name; the dead-letter queue is `<name>-dlq`. */
  queueName: string;
  /** Records per invocation (the deployment uses 1). */
  batchSize: number;
  /** Invocations at once (the mapping's maximum concurrency). */
  maxConcurrency: number;
  /** Seconds a received message stays hidden; a failed one comes back after it. */
  visibilityTimeoutSeconds: number;
  /** Receives before the emulator moves a message to the dead-letter queue. */
  maxReceiveCount: number;
  /** Invokes the function; resolves with its result, or `undefined` when the invocation failed. */
  invoke: (event: SQSEvent) => Promise<unknown>;
  /** Receives a line when polling itself fails. */
  warn: (message: string) => void;
}

/** A running mapping. */
export interface EventSourceMapping {
  queueUrl: string;
  queueArn: string;
  deadLetterQueueUrl: string;
  /** Stops polling; invocations in flight finish first. */
  stop(): Promise<void>;
}

/**
 * Creates the queues and starts the pollers.
 * @param options - see {@link EventSourceMappingOptions}
 */
export async function startEventSourceMapping(
  options: EventSourceMappingOptions,
): Promise<EventSourceMapping> {
  const sqs = new SQSClient({
    endpoint: options.endpoint,
    region: options.region,
    credentials: options.credentials,
  });
  const arnOf = async (queueUrl: string) => {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }),
    );
    return Attributes?.QueueArn ?? "";
  };
  // fauxqs answers URLs on the host `sqs.<region>.localhost`, which not every resolver knows; the path names the
  // queue, so the emulator's own address serves (and the SDK then sees no endpoint mismatch to warn about).
  const local = (url: string | undefined) => `${options.endpoint}${new URL(url ?? "").pathname}`;
  const deadLetterQueueUrl = local(
    (await sqs.send(new CreateQueueCommand({ QueueName: `${options.queueName}-dlq` }))).QueueUrl,
  );
  const { QueueUrl: createdUrl } = await sqs.send(
    new CreateQueueCommand({
      QueueName: options.queueName,
      Attributes: {
        VisibilityTimeout: String(options.visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({
          deadLetterTargetArn: await arnOf(deadLetterQueueUrl),
          maxReceiveCount: options.maxReceiveCount,
        }),
      },
    }),
  );
  const queueUrl = local(createdUrl);
  const queueArn = await arnOf(queueUrl);
  const polling = new AbortController();
  const pollers = Array.from({ length: Math.max(1, options.maxConcurrency) }, () =>
    poll(sqs, queueUrl, queueArn, polling.signal, options),
  );
  return {
    queueUrl,
    queueArn,
    deadLetterQueueUrl,
    async stop() {
      polling.abort();
      await Promise.all(pollers);
      sqs.destroy();
    },
  };
}

async function poll(
  sqs: SQSClient,
  queueUrl: string,
  queueArn: string,
  signal: AbortSignal,
  options: EventSourceMappingOptions,
): Promise<void> {
  while (!signal.aborted) {
    try {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: options.batchSize,
          WaitTimeSeconds: 20,
          MessageSystemAttributeNames: ["All"],
        }),
        { abortSignal: signal },
      );
      if (Messages.length === 0) continue;
      const event: SQSEvent = {
        Records: Messages.map((message) => sqsRecord(message, queueArn, options.region)),
      };
      const result = await options.invoke(event);
      // A failed invocation leaves the whole batch to come back; a successful one reports the records to retry.
      if (result === undefined) continue;
      const failed = new Set(
        ((result as Partial<SQSBatchResponse> | null)?.batchItemFailures ?? []).map(
          (item) => item.itemIdentifier,
        ),
      );
      const done = Messages.filter((message) => !failed.has(message.MessageId ?? ""));
      if (done.length > 0) {
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: done.map((message, index) => ({
              Id: String(index),
              ReceiptHandle: message.ReceiptHandle,
            })),
          }),
        );
      }
    } catch (error) {
      if (signal.aborted) return;
      options.warn(`SQS event source mapping: ${String(error)}`);
      await sleep(500);
    }
  }
}

/** The record Lambda builds from a received message (the documented SQS event shape). */
function sqsRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const body = message.Body ?? "";
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? "",
    receiptHandle: message.ReceiptHandle ?? "",
    body,
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? "1",
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? "local",
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? createHash("md5").update(body).digest("hex"),
    eventSource: "aws:sqs",
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}
