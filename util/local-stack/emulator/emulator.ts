import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { CreateTopicCommand, SNSClient, SubscribeCommand } from "@aws-sdk/client-sns";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { SNSEvent } from "aws-lambda";
import { buildApp } from "fauxqs";
import { refuseBrowserRequests } from "../browser-guard.js";
import { listenOn } from "../http.js";
import { createFauxqsStores, installConditionalWrites } from "./fidelity/conditional-writes.js";
import { fixFauxqsListOrder } from "./fidelity/list-order.js";
import { installS3Fidelity } from "./fidelity/s3.js";
import { SnsFidelity } from "./fidelity/sns.js";
import { installSqsFidelity } from "./fidelity/sqs.js";
import { pollDeliveries } from "./sns-delivery.js";
import { installStoreOutage } from "./store-outage.js";

/** What the emulator creates and where it listens. */
export interface EmulatorOptions {
  host: string;
  port: number;
  region: string;
  bucket: string;
  topicName: string;
  /** The function the topic delivers to; its ARN is what the SNS API shows as the subscription's endpoint. */
  functionName: string;
  /** The queue that stands in for SNS's Lambda delivery (see {@link startEmulator}). */
  deliveryQueueName: string;
  /** Called with the SNS event of each notification, asynchronously to the publisher. */
  deliver: (event: SNSEvent) => Promise<void>;
  /**
   * Receives a line when delivery itself fails (not the function: that is the runtime's log), when the function is
   * unsubscribed or subscribed again, and with the cause of any 5xx the emulator answers.
   */
  warn: (message: string) => void;
}

/** A running S3/SNS emulator. */
export interface Emulator {
  /** `http://<host>:<port>`, the endpoint of S3, SNS (and SQS). */
  endpoint: string;
  topicArn: string;
  /** The function's ARN, in the topic's account and region. */
  functionArn: string;
  /** Fault injection: while `down`, S3 answers 503 ServiceUnavailable to everything (store-outage.ts). */
  setStoreDown(down: boolean): void;
  /** Fault injection: every later S3 request is held this long first (store-outage.ts). */
  setStoreDelayMs(ms: number): void;
  stop(): Promise<void>;
}

/** Dummy credentials: the emulator accepts any, the SDK insists on some. */
export const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };

/**
 * Starts fauxqs (S3, SNS and SQS in memory) on `host:port` only, creates the connection bucket and the input topic,
 * and delivers the topic's notifications to the function.
 *
 * fauxqs delivers SNS only to SQS subscriptions, so the Lambda subscription is an SQS queue subscribed to the topic
 * (non-raw, so each message is SNS's JSON envelope with MessageId, Timestamp and MessageAttributes) that this module
 * long-polls; each envelope becomes the one-record SNS event Lambda receives. Publish returns its MessageId at once
 * and delivery runs on its own, as SNS's asynchronous Lambda invocation does; the queue only buffers. Through the SNS
 * API the queue's subscription looks and behaves like the function's (fidelity/sns.ts).
 *
 * S3 is made as strict and as lenient as S3 (fidelity/s3.ts) and takes conditional writes
 * (fidelity/conditional-writes.ts), SQS speaks the query protocol too (fidelity/sqs.ts),
 * and requests from web pages are refused
 * (../browser-guard.ts). All of it goes through the Fastify app that `buildApp` returns; fauxqs itself is not edited.
 */
export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  await fixFauxqsListOrder();
  // fauxqs's own startFauxqs listens on 0.0.0.0 whatever it is told; buildApp lets us bind the address ourselves.
  // Its stores are ours to make, so that the conditional writes can ask the S3 one what exists.
  const stores = await createFauxqsStores();
  const app = buildApp({ logger: false, defaultRegion: options.region, stores });
  refuseBrowserRequests(app);
  const outage = installStoreOutage(app);
  installS3Fidelity(app, { warn: options.warn });
  installConditionalWrites(app, stores.s3Store);
  installSqsFidelity(app);
  const sns = new SnsFidelity(options.warn);
  sns.install(app);
  const port = await listenOn(app.server, options.host, options.port, "emulator", () =>
    app.listen({ host: options.host, port: options.port }),
  );
  const endpoint = `http://${options.host}:${port}`;
  const clientConfig = { endpoint, region: options.region, credentials: LOCAL_CREDENTIALS };
  const s3 = new S3Client({ ...clientConfig, forcePathStyle: true });
  const snsClient = new SNSClient(clientConfig);
  const sqs = new SQSClient(clientConfig);
  const polling = new AbortController();
  let poller: Promise<void> = Promise.resolve();
  try {
    await s3.send(new CreateBucketCommand({ Bucket: options.bucket }));
    const { TopicArn: topicArn = "" } = await snsClient.send(
      new CreateTopicCommand({ Name: options.topicName }),
    );
    const { QueueUrl: queueUrl = "" } = await sqs.send(
      new CreateQueueCommand({ QueueName: options.deliveryQueueName }),
    );
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }),
    );
    const queueArn = Attributes?.QueueArn ?? "";
    const { SubscriptionArn: subscriptionArn = "" } = await snsClient.send(
      new SubscribeCommand({ TopicArn: topicArn, Protocol: "sqs", Endpoint: queueArn }),
    );
    const [, , , region, account] = topicArn.split(":");
    const functionArn = `arn:aws:lambda:${region}:${account}:function:${options.functionName}`;
    sns.attach({ topicArn, functionArn, queueArn, subscriptionArn, endpoint });
    poller = pollDeliveries(sqs, queueUrl, sns, polling.signal, options);
    return {
      endpoint,
      topicArn,
      functionArn,
      setStoreDown: (down) => outage.setDown(down),
      setStoreDelayMs: (ms) => outage.setDelayMs(ms),
      async stop() {
        polling.abort();
        await poller;
        for (const client of [s3, snsClient, sqs]) client.destroy();
        await app.close();
      },
    };
  } catch (error) {
    polling.abort();
    await poller;
    await app.close();
    throw error;
  }
}
