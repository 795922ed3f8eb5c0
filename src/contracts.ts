/**
 * The names that `src/` (the Lambda), `deployment/` (the Terraform synth) and `util/` (CLIs, local stack, benchmark)
 * must agree on, in one place. This module imports nothing, so any of the three can load it without pulling in the
 * AWS SDK, CDK or esbuild. A rename here is a rename everywhere; the compiler finds every user.
 */

/**
 * The client actions, the value of a frame's `action` field that API Gateway routes on
 * (`$request.body.action`). Each is also a route key of the API. `src/actions.ts` gives each one its parsing
 * and its use case, and is typed `Record<ClientAction, …>`, so a name added here without an entry there (or the
 * reverse) does not compile.
 */
export const CLIENT_ACTIONS = [
  "broadcast",
  "ping",
  // Channels (docs/channels.md).
  "subscribe",
  "unsubscribe",
  "publish",
] as const;

/** One client action. */
export type ClientAction = (typeof CLIENT_ACTIONS)[number];

/**
 * The routes no frame can select: `$connect` and `$disconnect` are lifecycle events, and `$default` is where API
 * Gateway sends every frame whose `action` matches no other route (the handler answers it with an error frame).
 */
export const LIFECYCLE_ROUTE_KEYS = ["$connect", "$disconnect", "$default"] as const;

/** Every route of the WebSocket API, all integrated with the one handler function. */
export const ROUTE_KEYS = [...LIFECYCLE_ROUTE_KEYS, ...CLIENT_ACTIONS] as const;

/** One route key of the API. */
export type RouteKey = (typeof ROUTE_KEYS)[number];

/**
 * Tells whether a value names a client action.
 * @param value - typically a frame's `action` field
 */
export function isClientAction(value: unknown): value is ClientAction {
  return typeof value === "string" && (CLIENT_ACTIONS as readonly string[]).includes(value);
}

/**
 * A client frame's text: `{"action":…}` followed by the action's fields, so that a tool that sends frames names
 * its action through {@link ClientAction} and a renamed action fails to compile there too.
 * @param action - the action
 * @param fields - the action's fields (`message` for a broadcast)
 */
export function clientFrame(action: ClientAction, fields: Readonly<Record<string, unknown>> = {}): string {
  return JSON.stringify({ action, ...fields });
}

/**
 * API Gateway's route selection for a message (`$request.body.action`): the action's route when a JSON text frame
 * names one, else `$default` (binary frames, text that is not a JSON object, unknown or non-string actions). The
 * local stack selects routes with it; the deployed API does the same by its route keys.
 * @param body - the frame's text, or undefined for a binary frame
 */
export function selectRouteKey(body: string | undefined): RouteKey {
  if (body === undefined) return "$default";
  let frame: unknown;
  try {
    frame = JSON.parse(body);
  } catch {
    // Not JSON (or nested past the parser's depth): API Gateway cannot evaluate the expression either.
    return "$default";
  }
  if (typeof frame !== "object" || frame === null || Array.isArray(frame)) return "$default";
  const action = (frame as { action?: unknown }).action;
  return isClientAction(action) ? action : "$default";
}

/**
 * The Lambda's environment variables, by what they configure (read by `src/config.ts`, set by the stack, the local
 * stack and the benchmark).
 */
export const LAMBDA_ENV = {
  /** The S3 bucket of the connection store. */
  connectionBucket: "CONNECTION_BUCKET",
  /** The key prefix of the connection store. */
  connectionPrefix: "CONNECTION_PREFIX",
  /** The @connections base URL; SNS deliveries need it. */
  managementEndpoint: "MANAGEMENT_ENDPOINT",
  /** PostToConnection calls in flight per fan-out. */
  fanoutConcurrency: "FANOUT_CONCURRENCY",
  /** The per-call timeout of PostToConnection, in milliseconds. */
  fanoutSendTimeoutMs: "FANOUT_SEND_TIMEOUT_MS",
  /** Path-style S3 URLs (local emulators). */
  s3ForcePathStyle: "S3_FORCE_PATH_STYLE",
  /** Powertools' log level. */
  logLevel: "POWERTOOLS_LOG_LEVEL",
  /** Powertools' service name, the `service` key of every log line. */
  serviceName: "POWERTOOLS_SERVICE_NAME",
  // --- sharded fan-out, see docs/scaling.md ---
  /** The SQS queue of fan-out shards; unset, every fan-out runs in the invocation that asked for it. */
  fanoutQueueUrl: "FANOUT_QUEUE_URL",
  /** Shards of a large fan-out (1 to 256): each lists and sends to 256/K of the store's buckets. */
  fanoutShards: "FANOUT_SHARDS",
  /** A fan-out with at most this many recipients runs in the invocation that asked for it (no queue hop). */
  fanoutInlineMax: "FANOUT_INLINE_MAX",
  /** Sends a second per shard invocation (the account's share divided by the shards' maximum concurrency). */
  fanoutShardRate: "FANOUT_SHARD_RATE",
  /** "false" once no connection key of the flat layout is left: saves a listing per fan-out. */
  connectionFlatKeys: "CONNECTION_FLAT_KEYS",

  // --- auth: who may connect and what a connection may do (docs/security.md) ---
  /** `token` (a signed token at `$connect`, the default) or `open` (anonymous, every right). */
  authMode: "AUTH_MODE",
  /** ARN of the Secrets Manager secret whose string is the HS256 token secret (read once per cold start). */
  tokenSecretArn: "TOKEN_SECRET_ARN",
  /** The HS256 token secret itself: the local stack only (on AWS it stays in Secrets Manager). */
  tokenSecret: "TOKEN_SECRET",
  /** An external issuer's JWKS URL (replaces the stack's secret). */
  tokenJwksUrl: "TOKEN_JWKS_URL",
  /** The external issuer's `iss` (required with a JWKS URL). */
  tokenIssuer: "TOKEN_ISSUER",
  /** The external issuer's `aud`, if it sets one. */
  tokenAudience: "TOKEN_AUDIENCE",
  /** Comma-separated Origin allow-list at `$connect`; empty allows every origin. */
  allowedOrigins: "ALLOWED_ORIGINS",
  /** `false` takes broadcast and publish away from every client: SNS stays the only publisher. */
  clientPublishing: "CLIENT_PUBLISHING",
  /** The largest broadcast frame a client may send, in bytes (below the 128 KB protocol limit). */
  maxBroadcastBytes: "MAX_BROADCAST_BYTES",
  /** The WebSocket API's id: events from any other API are refused (forged invocations). */
  expectedApiId: "EXPECTED_API_ID",
  /** The input topic's ARN: SNS records from any other topic are refused (forged invocations). */
  inputTopicArn: "INPUT_TOPIC_ARN",
} as const;

/**
 * The client actions that fan a client's frame out to others: the stage throttles them more tightly than the rest
 * (docs/security.md). Those not yet in {@link CLIENT_ACTIONS} are left out where route keys are needed.
 */
export const PUBLISHING_ACTIONS = ["broadcast", "publish"] as const;

/** The auth modes of the stack (Terraform variable `auth_mode`, `npm start -- --open`). */
export const AUTH_MODES = ["token", "open"] as const;

/** The Lambda handler string of the bundle: the `handler` export of `index.mjs`. */
export const LAMBDA_HANDLER = "index.handler";

/** The Lambda runtime the bundle targets; esbuild's `target` follows it. */
export const LAMBDA_RUNTIME = "nodejs24.x";

/** esbuild's `target` for {@link LAMBDA_RUNTIME}: the syntax that runtime's Node runs as is. */
export const LAMBDA_NODE_TARGET = "node24";

/**
 * The Terraform outputs of the stack, with their descriptions. The `util/` CLIs, the benchmark and the tests read
 * them; the local stack writes the same keys (with local values) to {@link LOCAL_OUTPUTS_PATH}.
 */
export const STACK_OUTPUT_DESCRIPTIONS = {
  ws_url: "WebSocket URL clients connect to (wss://<api>.execute-api.<region>.amazonaws.com/<stage>).",
  lambda_function_name: "Name of the Lambda function that handles every WebSocket route and SNS message.",
  input_sns_topic_arn:
    "ARN of the SNS topic to publish JSON to; every message reaches every connected client.",
  lambda_log_group: "CloudWatch log group of the Lambda (one JSON line per log entry).",
  api_gw_log_group: "CloudWatch log group of the WebSocket stage's access logs (one JSON line per request).",
  management_endpoint: "Base URL of the API Gateway Management API (@connections) for this stage.",
  connection_bucket: "S3 bucket holding one key per live connection, under the connection prefix.",
  connection_prefix:
    "Key prefix of the connection store in connection_bucket (util/verify checks that its own keys are gone).",

  // --- auth (docs/security.md) ---
  auth_mode: 'How clients connect: "token" (a signed token in ?token=) or "open" (anyone with the URL).',
  token_secret_arn:
    "ARN of the Secrets Manager secret holding the HS256 token secret (empty in open mode or with an external issuer).",

  // --- sharded fan-out (docs/scaling.md) ---
  shard_dead_letter_queue_url:
    "URL of the SQS dead-letter queue that keeps every fan-out shard that failed all its retries; it should stay empty.",
} as const;

/** One Terraform output name. */
export type StackOutputName = keyof typeof STACK_OUTPUT_DESCRIPTIONS;

/** The stack outputs by name: on AWS the Terraform outputs, locally the same keys in `.local/outputs.json`. */
export type StackOutputs = Record<StackOutputName, string>;

/** What the local stack adds to {@link StackOutputs} in `.local/outputs.json`. */
export interface LocalStackOutputs extends StackOutputs {
  /** The SNS endpoint of the local emulator (for `--endpoint-url` and the SDK's `endpoint`). */
  sns_endpoint: string;
  /** The S3 endpoint of the local emulator. */
  s3_endpoint: string;
  /** The SQS endpoint of the local emulator (the shard queue and its dead-letter queue). */
  sqs_endpoint: string;
  /** The region the local stack pretends to be in. */
  region: string;
  /** Path of the Lambda log file (one JSON line per log line). */
  lambda_log_file: string;
  /** Path of the gateway's access log file (one JSON line per request, the stage access log's fields). */
  access_log_file: string;
  /** The file holding the local stack's HS256 token secret (mode 0600); absent in open mode. */
  token_secret_file?: string;
  /** The process id of the running local stack: the CLIs check it to tell a stack killed without cleaning up. */
  pid?: string;
}

/**
 * One JSON object per stage access log line: who (request, connection), what (route, event), and how it ended
 * (status, integration status and error). Names from "Configure logging for WebSocket APIs in API Gateway"; the
 * local gateway writes the same fields.
 */
export const ACCESS_LOG_FORMAT = {
  requestId: "$context.requestId",
  connectionId: "$context.connectionId",
  routeKey: "$context.routeKey",
  eventType: "$context.eventType",
  status: "$context.status",
  requestTime: "$context.requestTimeEpoch",
  sourceIp: "$context.identity.sourceIp",
  integrationStatus: "$context.integration.status",
  integrationLatency: "$context.integration.latency",
  integrationError: "$context.integration.error",
  errorMessage: "$context.error.message",
} as const;

/** One access log field name. */
export type AccessLogField = keyof typeof ACCESS_LOG_FORMAT;

/** The stack's name: its folder under `<synth output>/stacks/`. */
export const STACK_NAME = "fanout";

/** Where `npm run synth` writes, relative to the repository root. */
export const SYNTH_OUT_PATH = "cdktf.out";

/** The synthesized stack folder, relative to the repository root: run `terraform` here. */
export const STACK_PATH = `${SYNTH_OUT_PATH}/stacks/${STACK_NAME}`;

/** Where the Lambda bundle and its zip are built, relative to the repository root. */
export const BUNDLE_OUT_PATH = "dist";

/** The deployment package `npm run build` writes and `npm run synth` deploys, relative to the repository root. */
export const LAMBDA_ZIP_PATH = `${BUNDLE_OUT_PATH}/lambda.zip`;

/** Where the local stack writes its outputs, relative to the repository root. */
export const LOCAL_OUTPUTS_PATH = ".local/outputs.json";
