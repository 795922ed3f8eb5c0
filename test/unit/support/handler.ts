/**
 * The function's handler over real dependencies (the AWS clients mocked by `aws.ts`) or over fakes, and the events
 * it is given: the captured fixtures of `test/fixtures/aws-events/`, copied and edited per test.
 */
import type { Context, SNSEvent, SQSEvent } from "aws-lambda";
import { createDependencies, type Dependencies } from "../../../src/app/dependencies.js";
import type { SecretFetcher } from "../../../src/auth/verifier.js";
import { selectRouteKey } from "../../../src/contract/index.js";
import { createHandler } from "../../../src/index.js";
import type { WebSocketEvent } from "../../../src/sources/websocket.js";
import { loadEvent } from "../../support/fixtures.js";
import { fakeConnections } from "./connections.js";
import { RecordingLog } from "./log.js";

/** The Lambda context of every invocation here. */
export const context = { awsRequestId: "lambda-request-1" } as Context;

/** The connection id in broadcast_1.json. */
export const SENDER = "Ek02Ofq8IAMCEyw=";

/** The @connections endpoint derived from broadcast_1.json's domain and stage. */
export const DERIVED_ENDPOINT = "https://7b8s192d6i.execute-api.us-east-1.amazonaws.com/primary";

/** A configured @connections endpoint (SNS needs one). */
export const CONFIGURED_ENDPOINT = "https://abc.execute-api.us-east-1.amazonaws.com/prod";

/**
 * The bundle's handler over the given dependencies, for every source (the authorizer's included).
 * @param deps - the dependencies every adapter gets
 */
export function handlerOver(deps: Dependencies): ReturnType<typeof createHandler> {
  return createHandler({ authorizer: async () => deps, everything: async () => deps });
}

/** What Lambda puts in every function's environment and the sender signs with (AWS's documentation example keys). */
const LAMBDA_ENVIRONMENT = {
  AWS_REGION: "us-east-1",
  AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
  AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
};

/**
 * A handler over the dependencies `createDependencies` builds (use cases, S3 stores, the @connections senders over
 * the shared fake of `connections.ts`, the shard queue), logging to a recorder and noting every @connections
 * endpoint asked for.
 * @param env - the environment beyond `CONNECTION_BUCKET=bucket` and Lambda's region and credentials
 * @param fetchSecret - how the token secret is read (default Secrets Manager, mocked)
 */
export function setupHandler(env: Record<string, string> = {}, fetchSecret?: SecretFetcher) {
  const log = new RecordingLog();
  const real = createDependencies(
    { CONNECTION_BUCKET: "bucket", ...LAMBDA_ENVIRONMENT, ...env },
    fetchSecret,
    fakeConnections.exchange,
  );
  const endpoints: string[] = [];
  const deps: Dependencies = {
    ...real,
    log,
    senders: {
      for: (endpoint) => {
        endpoints.push(endpoint);
        return real.senders.for(endpoint);
      },
    },
  };
  return { handler: handlerOver(deps), log, endpoints, deps };
}

/**
 * broadcast_1.json with another body (and optionally route key).
 * @param body - the frame's text (base64 for a binary frame)
 * @param routeKey - the route API Gateway picked; by default the one it picks for this body
 * @param isBase64Encoded - true for a binary frame
 */
export function messageEvent(
  body: string | undefined,
  routeKey?: string,
  isBase64Encoded = false,
): WebSocketEvent {
  const event = loadEvent<WebSocketEvent>("broadcast_1");
  event.body = body;
  event.isBase64Encoded = isBase64Encoded;
  event.requestContext.routeKey = routeKey ?? selectRouteKey(isBase64Encoded ? undefined : body);
  return event;
}

/**
 * sns_message_1.json with one record per message, each with its own MessageId (`message-1`, ...).
 * @param messages - the records' `Message` values
 */
export function snsEvent(...messages: unknown[]): SNSEvent {
  const event = loadEvent<SNSEvent>("sns_message_1");
  const template = event.Records[0];
  if (template === undefined) throw new Error("fixture has no record");
  event.Records = messages.map((message, index) => {
    const record = structuredClone(template);
    record.Sns.Message = message as string;
    record.Sns.MessageId = `message-${index + 1}`;
    return record;
  });
  return event;
}

/**
 * sqs_shard_1.json with its one job edited.
 * @param edit - changes the job
 * @param messageId - the record's message id, if another
 */
export function shardEvent(
  edit: (job: Record<string, unknown>) => void = () => {},
  messageId?: string,
): SQSEvent {
  const event = loadEvent<SQSEvent>("sqs_shard_1");
  const record = event.Records[0] as SQSEvent["Records"][number];
  const job = JSON.parse(record.body) as Record<string, unknown>;
  edit(job);
  record.body = JSON.stringify(job);
  if (messageId) record.messageId = messageId;
  return event;
}
