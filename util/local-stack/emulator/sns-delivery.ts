/**
 * SNS's delivery to the function: fauxqs delivers SNS only to SQS subscriptions, so the function's subscription is
 * a queue that this module long-polls, turning each envelope into the one-record SNS event Lambda receives.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { SNSEvent } from "aws-lambda";

/** The SNS notification as SNS writes it to a subscribed SQS queue (the JSON envelope). */
export interface SnsEnvelope {
  Type: string;
  MessageId: string;
  TopicArn: string;
  Subject?: string | null;
  Message: string;
  Timestamp: string;
  SignatureVersion: string;
  Signature: string;
  SigningCertURL: string;
  UnsubscribeURL: string;
  MessageAttributes?: Record<string, { Type: string; Value: string }>;
}

/**
 * The SNS event Lambda receives for one notification (fixtures/aws-events/sns_message_1.json): SNS invokes Lambda
 * with exactly one record per notification, and spells `SigningCertUrl`/`UnsubscribeUrl` differently from the
 * envelope it writes to SQS.
 */
export function snsEvent(envelope: SnsEnvelope, subscriptionArn: string): SNSEvent {
  return {
    Records: [
      {
        EventSource: "aws:sns",
        EventVersion: "1.0",
        EventSubscriptionArn: subscriptionArn,
        Sns: {
          Type: envelope.Type,
          MessageId: envelope.MessageId,
          TopicArn: envelope.TopicArn,
          Subject: (envelope.Subject ?? null) as string,
          Message: envelope.Message,
          Timestamp: envelope.Timestamp,
          SignatureVersion: envelope.SignatureVersion,
          Signature: envelope.Signature,
          SigningCertUrl: envelope.SigningCertURL,
          UnsubscribeUrl: envelope.UnsubscribeURL,
          MessageAttributes: envelope.MessageAttributes ?? {},
        },
      },
    ],
  };
}

/** What the delivery asks of the SNS API's view of the function's subscription (fidelity/sns.ts). */
interface FunctionSubscription {
  /** The subscription ARN events carry now; undefined after an `Unsubscribe` of it. */
  readonly subscriptionArn: string | undefined;
  /** The envelope as the function's subscription delivers it. */
  forFunction(envelope: SnsEnvelope): SnsEnvelope;
}

/** Where notifications go, and where a failed delivery is reported. */
interface DeliveryTarget {
  deliver: (event: SNSEvent) => Promise<void>;
  warn: (message: string) => void;
}

/**
 * Long-polls the delivery queue until `signal` aborts, and hands each notification to `options.deliver` as its SNS
 * event; delivery runs on its own, as SNS's asynchronous Lambda invocation does.
 */
export async function pollDeliveries(
  sqs: SQSClient,
  queueUrl: string,
  sns: FunctionSubscription,
  signal: AbortSignal,
  options: DeliveryTarget,
): Promise<void> {
  // Notifications already queued when the subscription is removed are still delivered (as SNS's in-flight ones are),
  // with the ARN they were sent under.
  let subscriptionArn = sns.subscriptionArn ?? "";
  while (!signal.aborted) {
    try {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 20 }),
        { abortSignal: signal },
      );
      if (Messages.length === 0) continue;
      // The buffer is emptied before the invocations end: Lambda's asynchronous invocation has accepted them.
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
      for (const message of Messages) {
        const envelope = sns.forFunction(JSON.parse(message.Body ?? "{}") as SnsEnvelope);
        subscriptionArn = sns.subscriptionArn ?? subscriptionArn;
        options.deliver(snsEvent(envelope, subscriptionArn)).catch((error: unknown) => {
          options.warn(`SNS delivery of ${envelope.MessageId} failed: ${String(error)}`);
        });
      }
    } catch (error) {
      if (signal.aborted) return;
      options.warn(`SNS delivery queue: ${String(error)}`);
      await sleep(500);
    }
  }
}
