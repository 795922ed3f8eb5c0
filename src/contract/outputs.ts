/**
 * What a deployed stack tells its users, and what its stage logs: the Terraform outputs with their descriptions (the
 * local stack writes the same keys), and the fields of the stage's access log lines.
 */

/**
 * The Terraform outputs of the stack, with their descriptions. The `util/` CLIs, the benchmark and the tests read
 * them; the local stack writes the same keys (with local values) to `LOCAL_OUTPUTS_PATH` (`paths.ts`).
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
