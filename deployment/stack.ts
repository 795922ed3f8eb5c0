import { DataAwsCallerIdentity } from "@cdktn/provider-aws/lib/data-aws-caller-identity/index.js";
import { DataAwsPartition } from "@cdktn/provider-aws/lib/data-aws-partition/index.js";
import { AwsProvider } from "@cdktn/provider-aws/lib/provider/index.js";
import {
  Fn,
  LocalBackend,
  Op,
  S3Backend,
  TerraformLocal,
  TerraformOutput,
  TerraformStack,
  Token,
} from "cdktn";
import type { Construct } from "constructs";
import { LAMBDA_ENV, STACK_OUTPUT_DESCRIPTIONS, type StackOutputName } from "../src/contract/index.js";
import { declareAuthVariables } from "./auth-variables.js";
import { ApiGatewayLoggingRole } from "./constructs/api-gateway-logging-role.js";
import { AsyncDelivery } from "./constructs/async-delivery.js";
import { ConnectAuthorizer } from "./constructs/connect-authorizer.js";
import { ConnectionBucket } from "./constructs/connection-bucket.js";
import { HandlerFunction } from "./constructs/handler-function.js";
import { InputTopic } from "./constructs/input-topic.js";
import { ShardQueue } from "./constructs/shard-queue.js";
import { TokenSecret } from "./constructs/token-secret.js";
import { TopicKey } from "./constructs/topic-key.js";
import { WebSocketApi } from "./constructs/websocket-api.js";
import { declareHistoryVariables } from "./history-variables.js";
import { declareVariables } from "./variables.js";

/**
 * The Terraform and OpenTofu releases the stack needs: 1.11 for the token secret's ephemeral value and write-only
 * argument (docs/security.md).
 */
export const TARGET_VERSIONS = { terraform: ">=1.11.0", opentofu: ">=1.11.0" } as const;

// biome-ignore lint/suspicious/noTemplateCurlyInString: a Terraform expression, resolved by Terraform.
const TERRAFORM_WORKSPACE = "${terraform.workspace}";

/** Where the S3 backend keeps the state (Terraform's S3 backend settings). */
export interface S3StateBackend {
  /** The state bucket (it must exist). */
  bucket: string;
  /** The state object's key; workspaces other than `default` go under `env:/<workspace>/`. */
  key: string;
  /** The state bucket's region. */
  region: string;
}

/** Settings of {@link FanoutStack}. */
export interface FanoutStackProps {
  /** The Lambda deployment package (see `util/build/lambda-bundle.ts`). */
  bundle: { zipFile: string; sourceCodeHash: string };
  /** Keep the state in S3 instead of `terraform.tfstate` in the stack folder. */
  s3Backend?: S3StateBackend;
}

/**
 * The whole service: WebSocket API, handler function, connection bucket, input topic, logs and permissions.
 * Resources are named `<app_name>-<workspace>`, so each Terraform workspace is a separate environment.
 */
export class FanoutStack extends TerraformStack {
  /**
   * @param scope - the app
   * @param id - the stack's name (its folder under `cdktf.out/stacks/`)
   * @param props - see {@link FanoutStackProps}
   */
  constructor(scope: Construct, id: string, props: FanoutStackProps) {
    super(scope, id);
    const vars = declareVariables(this);
    const auth = declareAuthVariables(this);
    const history = declareHistoryVariables(this);
    const tokenMode = Op.eq(auth.authMode, "token");

    if (props.s3Backend) {
      new S3Backend(this, { ...props.s3Backend, encrypt: true });
      // S3-native state locking (Terraform >= 1.10, OpenTofu >= 1.10): no DynamoDB table needed. An override, because
      // CDK Terrain's own `useLockfile` fails synthesis while the stack also allows Terraform 1.5 without a backend.
      this.addOverride("terraform.backend.s3.use_lockfile", true);
    } else {
      // A relative path: CDK Terrain's default is absolute, which breaks once the folder moves to another machine.
      new LocalBackend(this, { path: "terraform.tfstate" });
    }

    new AwsProvider(this, "aws", {
      region: vars.region,
      defaultTags: [
        { tags: { app: vars.appName, environment: TERRAFORM_WORKSPACE, "managed-by": "terraform" } },
      ],
    });
    // The bindings write source "aws", which Terraform reads as hashicorp/aws but OpenTofu does not.
    this.addOverride("terraform.required_providers.aws.source", "hashicorp/aws");

    const name = new TerraformLocal(this, "name", `${vars.appName}-${TERRAFORM_WORKSPACE}`).asString;
    const partition = new DataAwsPartition(this, "partition").partition;
    const accountId = new DataAwsCallerIdentity(this, "caller").accountId;

    const loggingRole = new ApiGatewayLoggingRole(this, "api-gateway-logging-role", {
      name,
      enabled: vars.initApiGwLoggingRole,
      partition,
      accountId,
    });
    const api = new WebSocketApi(this, "websocket-api", {
      name,
      stageName: vars.stageName,
      logRetentionDays: vars.logRetentionDays,
      throttlingBurstLimit: vars.throttlingBurstLimit,
      throttlingRateLimit: vars.throttlingRateLimit,
      stageDependsOn: [loggingRole.account],
      publishThrottle: {
        rateLimit: auth.publishThrottleRateLimit,
        burstLimit: auth.publishThrottleBurstLimit,
      },
    });
    const store = new ConnectionBucket(this, "connection-bucket", {
      name,
      prefix: vars.connectionPrefix,
      forceDestroy: vars.forceDestroy,
      historyRetentionDays: history.retentionDays,
    });
    const topicKey = new TopicKey(this, "topic-key", {
      name,
      accountRootArn: `arn:${partition}:iam::${accountId}:root`,
      publisherPrincipals: vars.snsPublisherPrincipals,
      region: vars.region,
    });
    const topic = new InputTopic(this, "input-topic", {
      name,
      accountRootArn: `arn:${partition}:iam::${accountId}:root`,
      publisherPrincipals: vars.snsPublisherPrincipals,
      kmsMasterKeyId: topicKey.keyId,
    });
    // The stack's own secret only when it signs its own tokens (no external issuer).
    const tokenSecret = new TokenSecret(this, "token-secret", {
      name,
      enabled: Op.and(tokenMode, Op.eq(auth.tokenJwksUrl, "")),
      version: auth.tokenSecretVersion,
    });
    // The construct's id is the Terraform address of the deployed queues and worker: renamed, Terraform would
    // destroy and recreate them (losing queued shards, and SQS refuses a deleted queue's name for 60 s).
    const shardQueue = new ShardQueue(this, "fanout-queue", {
      name,
      workerTimeoutSeconds: vars.fanoutWorkerTimeoutSeconds,
      maxReceiveCount: vars.fanoutMaxReceiveCount,
      alarmActions: vars.fanoutAlarmActions,
    });
    // The names src/app/config.ts reads; it validates them at cold start.
    const environment = {
      [LAMBDA_ENV.connectionBucket]: store.bucket.bucket,
      [LAMBDA_ENV.connectionPrefix]: vars.connectionPrefix,
      [LAMBDA_ENV.managementEndpoint]: api.managementEndpoint,
      [LAMBDA_ENV.fanoutConcurrency]: Token.asString(vars.fanoutConcurrency),
      [LAMBDA_ENV.fanoutSendTimeoutMs]: Token.asString(vars.fanoutSendTimeoutMs),
      [LAMBDA_ENV.logLevel]: vars.logLevel,
      [LAMBDA_ENV.serviceName]: vars.appName,
      // Stack traces in the logs point at src/ lines (the zip carries index.mjs.map).
      NODE_OPTIONS: "--enable-source-maps",
      // auth: src/app/config.ts reads these; empty means unset.
      [LAMBDA_ENV.authMode]: auth.authMode,
      [LAMBDA_ENV.tokenSecretArn]: tokenSecret.arn,
      [LAMBDA_ENV.tokenJwksUrl]: auth.tokenJwksUrl,
      [LAMBDA_ENV.tokenIssuer]: auth.tokenIssuer,
      [LAMBDA_ENV.tokenAudience]: auth.tokenAudience,
      [LAMBDA_ENV.allowedOrigins]: Fn.join(",", auth.allowedOrigins),
      [LAMBDA_ENV.clientPublishing]: Token.asString(auth.clientPublishing),
      [LAMBDA_ENV.maxClientMessageBytes]: Token.asString(auth.maxClientMessageBytes),
      [LAMBDA_ENV.expectedApiId]: api.api.id,
      [LAMBDA_ENV.inputTopicArn]: topic.topic.arn,
      // The channel history (docs/channels.md#history): which channels keep one; none when its retention is 0.
      [LAMBDA_ENV.historyChannels]: history.channelsSetting,
      // shards: the worker gets this same block, so its config loads (and fails) like the handler's.
      ...shardQueue.dispatchEnvironment,
      [LAMBDA_ENV.fanoutShards]: Token.asString(vars.fanoutShards),
      [LAMBDA_ENV.fanoutInlineMax]: Token.asString(vars.fanoutInlineMax),
    };
    const handler = new HandlerFunction(this, "handler", {
      name,
      bundle: props.bundle,
      memoryMb: vars.lambdaMemoryMb,
      timeoutSeconds: vars.lambdaTimeoutSeconds,
      logRetentionDays: vars.logRetentionDays,
      environment,
      bucketArn: store.bucket.arn,
      keyPrefix: vars.connectionPrefix,
      keysArn: store.keysArn,
      manageConnectionsArn: api.manageConnectionsArn,
      reservedConcurrency: auth.reservedConcurrency,
    });
    const authorizer = new ConnectAuthorizer(api, "connect-authorizer", {
      name,
      apiId: api.api.id,
      executionArn: api.api.executionArn,
      fn: handler.function,
      enabled: tokenMode,
    });
    api.routeTo(handler.function, authorizer.route);
    topic.deliverTo(handler.function);
    tokenSecret.grantRead(handler.role);
    new AsyncDelivery(this, "async-delivery", {
      name,
      fn: handler.function,
      role: handler.role,
      maximumRetryAttempts: auth.asyncMaxRetryAttempts,
      alarmActions: auth.dlqAlarmActions,
    });
    shardQueue.attachWorker({
      handler: handler.function,
      role: handler.role,
      environment,
      memoryMb: vars.fanoutWorkerMemoryMb,
      maxConcurrency: vars.fanoutMaxConcurrency,
      accountRate: vars.accountConnectionsRate,
      accountBurst: vars.accountConnectionsBurst,
      rateShare: vars.fanoutRateShare,
      maxAgeSeconds: vars.fanoutShardMaxAgeSeconds,
    });

    const values: Record<StackOutputName, string> = {
      ws_url: api.stage.invokeUrl,
      lambda_function_name: handler.function.functionName,
      input_sns_topic_arn: topic.topic.arn,
      lambda_log_group: handler.logGroup.name,
      api_gw_log_group: api.logGroup.name,
      management_endpoint: api.managementEndpoint,
      connection_bucket: store.bucket.bucket,
      connection_prefix: vars.connectionPrefix,
      auth_mode: auth.authMode,
      token_secret_arn: tokenSecret.arn,
      shard_dead_letter_queue_url: shardQueue.deadLetterQueue.url,
    };
    for (const [outputId, value] of Object.entries(values)) {
      const description = STACK_OUTPUT_DESCRIPTIONS[outputId as StackOutputName];
      // Output and variable names share the stack's construct namespace (`auth_mode` is both): named by override.
      new TerraformOutput(this, `output-${outputId}`, { value, description }).overrideLogicalId(outputId);
    }
  }
}
