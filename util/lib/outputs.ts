/**
 * The stack outputs that the `util/` CLIs, the benchmark and the tests read. On AWS they are the Terraform outputs
 * of the synthesized stack; the local stack writes the same keys (with local values, plus the local-only ones) to
 * `.local/outputs.json`. One name per idea: these are the Terraform output names (DESIGN.md, "Stack outputs").
 */
export interface StackOutputs {
  /** The WebSocket URL clients connect to (`wss://…/<stage>` on AWS, `ws://127.0.0.1:<port>/<stage>` locally). */
  ws_url: string;
  /** The Lambda function's name. */
  lambda_function_name: string;
  /** The ARN of the SNS topic external publishers publish to. */
  input_sns_topic_arn: string;
  /** The Lambda's log group (a file path locally). */
  lambda_log_group: string;
  /** The API Gateway access log group (a file path locally). */
  api_gw_log_group: string;
  /** The @connections base URL of the Management API (`https://…/<stage>`, `http://127.0.0.1:<port>/<stage>`). */
  management_endpoint: string;
  /** The S3 bucket holding one key per live connection. */
  connection_bucket: string;
}

/** What the local stack adds to {@link StackOutputs} in `.local/outputs.json`. */
export interface LocalStackOutputs extends StackOutputs {
  /** The SNS endpoint of the local emulator (for `--endpoint-url` and the SDK's `endpoint`). */
  sns_endpoint: string;
  /** The S3 endpoint of the local emulator. */
  s3_endpoint: string;
  /** The region the local stack pretends to be in. */
  region: string;
  /** The key prefix of the connection store. */
  connection_prefix: string;
  /** Path of the Lambda log file (one JSON line per log line). */
  lambda_log_file: string;
  /** Path of the gateway's access log file (one JSON line per request, the stage access log's fields). */
  access_log_file: string;
  /** The process id of the running local stack: the CLIs check it to tell a stack killed without cleaning up. */
  pid?: string;
}

/** Where the local stack writes its outputs, relative to the repository root. */
export const LOCAL_OUTPUTS_PATH = ".local/outputs.json";
