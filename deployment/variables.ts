import { type IResolvable, TerraformVariable } from "cdktn";
import type { Construct } from "constructs";
import {
  CHANNEL_HISTORY_PREFIX,
  CHANNEL_MEMBERS_PREFIX,
  CONNECTION_CHANNELS_PREFIX,
  DEFAULT_ACCOUNT_CONNECTIONS,
  DEFAULT_CONNECTION_PREFIX,
  DEFAULT_FANOUT_CONCURRENCY,
  DEFAULT_FANOUT_INLINE_MAX,
  DEFAULT_FANOUT_MAX_CONCURRENCY,
  DEFAULT_FANOUT_RATE_SHARE,
  DEFAULT_FANOUT_SEND_TIMEOUT_MS,
  DEFAULT_FANOUT_SHARD_MAX_AGE_SECONDS,
  DEFAULT_FANOUT_SHARDS,
  DEFAULT_FANOUT_WORKER_MEMORY_MB,
  DEFAULT_FANOUT_WORKER_TIMEOUT_SECONDS,
  DEFAULT_LAMBDA_MEMORY_MB,
  SHARD_VISIBILITY_MARGIN_SECONDS,
} from "../src/contract/index.js";

/**
 * The stack's Terraform variables, each with a default so that a bare `terraform apply` works. Values are
 * Terraform references (tokens), resolved at plan time.
 */
export interface StackVariables {
  /** Name prefix: every resource is named `<app_name>-<workspace>`. */
  appName: string;
  /** AWS region of every resource. */
  region: string;
  /** The WebSocket API stage, the last path segment of `ws_url`. */
  stageName: string;
  /** The connection store's key prefix (no trailing slash). */
  connectionPrefix: string;
  /** Lambda memory in MB (CPU scales with it). */
  lambdaMemoryMb: number;
  /** Lambda timeout in seconds. */
  lambdaTimeoutSeconds: number;
  /** Powertools log level of the Lambda. */
  logLevel: string;
  /** PostToConnection calls in flight per fan-out. */
  fanoutConcurrency: number;
  /** Per-call timeout of one PostToConnection, in ms. */
  fanoutSendTimeoutMs: number;
  /** Retention of both log groups, in days. */
  logRetentionDays: number;
  /** Stage default route throttling: burst. */
  throttlingBurstLimit: number;
  /** Stage default route throttling: steady rate, requests per second. */
  throttlingRateLimit: number;
  /** Whether `terraform destroy` empties the connection bucket first. */
  forceDestroy: IResolvable;
  /** IAM principal ARNs, besides the owning account, allowed to publish to the topic. */
  snsPublisherPrincipals: string[];
  /** Whether to create the account-level API Gateway CloudWatch Logs role (once per account and region). */
  initApiGwLoggingRole: IResolvable;
  // --- sharded fan-out, docs/scaling.md ---
  /** Shards of a large fan-out (1..256). */
  fanoutShards: number;
  /** The most recipients a fan-out may have to stay in one invocation (0..1000). */
  fanoutInlineMax: number;
  /** The shard worker's memory in MB. */
  fanoutWorkerMemoryMb: number;
  /** The shard worker's timeout in seconds. */
  fanoutWorkerTimeoutSeconds: number;
  /** Shard invocations at once. */
  fanoutMaxConcurrency: number;
  /** The account's @connections quota, requests a second. */
  accountConnectionsRate: number;
  /** The account throttle's burst: requests its token bucket holds. */
  accountConnectionsBurst: number;
  /** Share of that quota all shards together may use. */
  fanoutRateShare: number;
  /** Receives of a shard before it goes to the dead-letter queue. */
  fanoutMaxReceiveCount: number;
  /** A shard redelivered more than this many seconds after its dispatch goes to the dead-letter queue. */
  fanoutShardMaxAgeSeconds: number;
  /** SNS topic ARNs the dead-letter alarm notifies. */
  fanoutAlarmActions: string[];
}

/** A variable's validation: a Terraform condition and the message a plan fails with. */
export interface VariableValidation {
  condition: string;
  errorMessage: string;
}

/**
 * Declares one variable of the stack, described (the deploy docs list every description) and validated where a
 * value the function would refuse can be caught at plan time.
 * @param scope - the stack: the id is the Terraform name
 * @param id - the variable's name
 * @param type - its Terraform type
 * @param defaultValue - its default
 * @param description - what it sets
 * @param validation - the plan-time check, if any
 */
export function declareVariable(
  scope: Construct,
  id: string,
  type: string,
  defaultValue: unknown,
  description: string,
  validation?: VariableValidation,
): TerraformVariable {
  return new TerraformVariable(scope, id, {
    type,
    default: defaultValue,
    description,
    validation: validation ? [validation] : undefined,
  });
}

/**
 * Declares the stack's variables; their Terraform names are the ids below, as the stack is their scope.
 * @param scope - the stack
 */
export function declareVariables(scope: Construct): StackVariables {
  const declare = (
    id: string,
    type: string,
    defaultValue: unknown,
    description: string,
    validation?: VariableValidation,
  ) => declareVariable(scope, id, type, defaultValue, description, validation);
  return {
    appName: declare(
      "app_name",
      "string",
      "fanout",
      "Name prefix: resources are named <app_name>-<workspace>.",
    ).stringValue,
    region: declare("region", "string", "us-east-1", "AWS region to deploy to.").stringValue,
    stageName: declare("stage_name", "string", "primary", "WebSocket API stage name.").stringValue,
    connectionPrefix: apartFromMemberships(
      declare(
        "connection_prefix",
        "string",
        DEFAULT_CONNECTION_PREFIX,
        "S3 key prefix of the connection store (keys are <prefix>/~<bucket>/<connectionId>).",
      ),
    ).stringValue,
    lambdaMemoryMb: declare(
      "lambda_memory_mb",
      "number",
      DEFAULT_LAMBDA_MEMORY_MB,
      "Memory of the routes' function in MB; CPU scales with it (1769 MB = 1 vCPU). Sized for an inline fan-out, see docs/scaling.md.",
    ).numberValue,
    lambdaTimeoutSeconds: declare(
      "lambda_timeout_seconds",
      "number",
      30,
      "Lambda timeout in seconds (API Gateway stops waiting after 29 s; SNS fan-outs may use the rest).",
    ).numberValue,
    logLevel: declare("log_level", "string", "INFO", "Lambda log level: DEBUG, INFO, WARN, ERROR or SILENT.")
      .stringValue,
    fanoutConcurrency: declare(
      "fanout_concurrency",
      "number",
      DEFAULT_FANOUT_CONCURRENCY,
      "PostToConnection calls in flight per fan-out (1..1000).",
    ).numberValue,
    fanoutSendTimeoutMs: declare(
      "fanout_send_timeout_ms",
      "number",
      DEFAULT_FANOUT_SEND_TIMEOUT_MS,
      "Timeout of one PostToConnection call in ms (100..60000).",
    ).numberValue,
    logRetentionDays: declare(
      "log_retention_days",
      "number",
      7,
      "Retention of the Lambda and API Gateway log groups, in days.",
    ).numberValue,
    throttlingBurstLimit: declare(
      "throttling_burst_limit",
      "number",
      200,
      "Stage default route throttling: burst of client messages.",
    ).numberValue,
    throttlingRateLimit: declare(
      "throttling_rate_limit",
      "number",
      100,
      "Stage default route throttling: client messages per second.",
    ).numberValue,
    forceDestroy: declare(
      "force_destroy",
      "bool",
      true,
      "Let terraform destroy delete the connection bucket with its keys (they only name live connections).",
    ).booleanValue,
    snsPublisherPrincipals: declare(
      "sns_publisher_principals",
      "list(string)",
      [],
      "IAM principal ARNs, besides the owning account, allowed to publish to the input topic.",
      // "*" would let any AWS account publish to every client.
      {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a Terraform expression.
        condition: '${alltrue([for p in var.sns_publisher_principals : p != "*" && startswith(p, "arn:")])}',
        errorMessage: 'sns_publisher_principals must list IAM principal ARNs; "*" (anyone) is refused.',
      },
    ).listValue,
    initApiGwLoggingRole: declare(
      "init_api_gw_logging_role",
      "bool",
      false,
      "Create the account-level API Gateway CloudWatch Logs role; stage access logs need it once per account and region.",
    ).booleanValue,
    // --- sharded fan-out, docs/scaling.md ---
    fanoutShards: declare(
      "fanout_shards",
      "number",
      DEFAULT_FANOUT_SHARDS,
      "Shards (SQS messages, worker invocations) of a large fan-out, 1..256; best equal to fanout_max_concurrency.",
    ).numberValue,
    fanoutInlineMax: declare(
      "fanout_inline_max",
      "number",
      DEFAULT_FANOUT_INLINE_MAX,
      "A fan-out with at most this many recipients runs in the invocation that asked for it (0..1000).",
    ).numberValue,
    fanoutWorkerMemoryMb: declare(
      "fanout_worker_memory_mb",
      "number",
      DEFAULT_FANOUT_WORKER_MEMORY_MB,
      "Memory of the shard worker in MB; CPU scales with it (1769 MB = 1 vCPU). Sized for CPU, see docs/scaling.md.",
    ).numberValue,
    fanoutWorkerTimeoutSeconds: declare(
      "fanout_worker_timeout_seconds",
      "number",
      DEFAULT_FANOUT_WORKER_TIMEOUT_SECONDS,
      `Timeout of one shard in seconds; the queue's visibility timeout is this plus ${SHARD_VISIBILITY_MARGIN_SECONDS}.`,
    ).numberValue,
    fanoutMaxConcurrency: declare(
      "fanout_max_concurrency",
      "number",
      DEFAULT_FANOUT_MAX_CONCURRENCY,
      "Shard invocations at once (2..1000): the event source mapping's maximum concurrency and the worker's reserved concurrency.",
    ).numberValue,
    accountConnectionsRate: declare(
      "account_connections_rate",
      "number",
      DEFAULT_ACCOUNT_CONNECTIONS.rate,
      "The account's API Gateway request quota per second (10000 unless AWS raised it for you).",
    ).numberValue,
    accountConnectionsBurst: declare(
      "account_connections_burst",
      "number",
      DEFAULT_ACCOUNT_CONNECTIONS.burst,
      "The burst of the account's API Gateway throttle: requests its token bucket holds (5000 unless AWS raised it).",
    ).numberValue,
    fanoutRateShare: declare(
      "fanout_rate_share",
      "number",
      DEFAULT_FANOUT_RATE_SHARE,
      "Share (0..1) of the account's rate and burst that all shards together may use; the rest is left to other APIs.",
    ).numberValue,
    fanoutMaxReceiveCount: declare(
      "fanout_max_receive_count",
      "number",
      3,
      "Receives of one shard before it moves to the dead-letter queue.",
    ).numberValue,
    fanoutShardMaxAgeSeconds: declare(
      "fanout_shard_max_age_seconds",
      "number",
      DEFAULT_FANOUT_SHARD_MAX_AGE_SECONDS,
      "A shard redelivered (its worker failed or died) more than this many seconds after the dispatch goes to the dead-letter queue instead of delivering late (0..1209600).",
      {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a Terraform expression.
        condition: "${var.fanout_shard_max_age_seconds >= 0 && var.fanout_shard_max_age_seconds <= 1209600}",
        errorMessage:
          "fanout_shard_max_age_seconds must be from 0 to 1209600 (SQS keeps a message 14 days at most).",
      },
    ).numberValue,
    fanoutAlarmActions: declare(
      "fanout_alarm_actions",
      "list(string)",
      [],
      "SNS topic ARNs notified when a shard lands in the dead-letter queue.",
    ).listValue,
  };
}

/**
 * Refuses a connection prefix inside the channels' prefixes (`channel-members/...`, `connection-channels/...`,
 * `channel-history/...`): a broadcast would list their keys as connections, and a channel's listing would find
 * connection keys. `src/app/config.ts` refuses the same at cold start.
 * @param variable - the `connection_prefix` variable
 */
function apartFromMemberships(variable: TerraformVariable): TerraformVariable {
  const reserved = [CHANNEL_MEMBERS_PREFIX, CONNECTION_CHANNELS_PREFIX, CHANNEL_HISTORY_PREFIX];
  variable.addValidation({
    condition: `\${!contains(${JSON.stringify(reserved)}, split("/", trim(var.connection_prefix, "/"))[0])}`,
    errorMessage: `connection_prefix must not be ${reserved.join(", ")} or lie under them (channel memberships and the channel history use those prefixes); keep the default "${DEFAULT_CONNECTION_PREFIX}" or pick another name.`,
  });
  return variable;
}
