// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the expected values are Terraform expressions.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUTH_DEFAULTS } from "../../deployment/auth-variables.js";
import { ACCESS_LOG_FORMAT, ROUTE_KEYS, type StackOutputs } from "../../src/contracts.js";
import { repoRoot } from "../../util/lib/repo.js";
import { synthesizeForTest } from "./synth-support.js";
import { TerraformJson } from "./terraform-json.js";

// Synthesized once for the whole file (synthesis is the slow part); every test reads the same cdk.tf.json.
let workDir: string;
let stackDir: string;
let tf: TerraformJson;
let zipHash: string;

beforeAll(() => {
  const synth = synthesizeForTest("fanout-stack-");
  workDir = synth.workDir;
  stackDir = synth.stackDir;
  zipHash = synth.sourceCodeHash;
  tf = new TerraformJson(synth.stackFile);
});

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

const PARTITION = "${data.aws_partition.partition.partition}";
const ACCOUNT = "${data.aws_caller_identity.caller.account_id}";

describe("stand-alone Terraform", () => {
  it("names the provider hashicorp/aws, as OpenTofu needs", () => {
    // Prepare / Act: synthesized in beforeAll
    // Assess
    expect(tf.root.terraform.required_providers.aws.source).toBe("hashicorp/aws");
  });

  it("keeps the state in the stack folder by a relative path", () => {
    // Prepare / Act: synthesized in beforeAll
    // Assess
    expect(tf.root.terraform.backend).toEqual({ local: { path: "terraform.tfstate" } });
  });

  it("writes no path of the machine that synthesized it", () => {
    // Prepare
    const text = readFileSync(join(stackDir, "cdk.tf.json"), "utf8");
    // Act
    const leaks = [workDir, repoRoot, tmpdir()].filter((path) => text.includes(path));
    // Assess
    expect(leaks).toEqual([]);
  });

  it("names every resource <app_name>-<workspace>", () => {
    // Prepare / Act: synthesized in beforeAll
    // Assess
    expect(tf.root.locals.name).toBe("${var.app_name}-${terraform.workspace}");
    expect(tf.get("aws_lambda_function", "handler/function").function_name).toBe("${local.name}");
    expect(tf.get("aws_apigatewayv2_api", "websocket-api/api").name).toBe("${local.name}");
    expect(tf.get("aws_sns_topic", "input-topic/topic").name).toBe("${local.name}-input");
    expect(tf.get("aws_iam_role", "handler/role").name).toBe("${local.name}-lambda");
    expect(tf.get("aws_s3_bucket", "connection-bucket/bucket").bucket_prefix).toBe(
      '${replace(lower(substr(local.name, 0, 36)), "/[^a-z0-9-]/", "-")}-',
    );
    expect(tf.root.variable.app_name.default).toBe("fanout");
  });

  it("declares every variable with a description and the documented default", () => {
    // Prepare
    const defaults = Object.fromEntries(
      Object.entries(tf.root.variable as Record<string, { default: unknown }>).map(([name, v]) => [
        name,
        v.default,
      ]),
    );
    // Act
    const undescribed = Object.entries(tf.root.variable as Record<string, { description?: string }>)
      .filter(([, v]) => !v.description)
      .map(([name]) => name);
    // Assess
    expect(undescribed).toEqual([]);
    expect(defaults).toEqual({
      app_name: "fanout",
      region: "us-east-1",
      stage_name: "primary",
      connection_prefix: "active-connections",
      lambda_memory_mb: 256,
      lambda_timeout_seconds: 30,
      log_level: "INFO",
      fanout_concurrency: 100,
      fanout_send_timeout_ms: 3000,
      log_retention_days: 7,
      throttling_burst_limit: 200,
      throttling_rate_limit: 100,
      force_destroy: true,
      sns_publisher_principals: [],
      init_api_gw_logging_role: false,
      fanout_shards: 16,
      fanout_inline_max: 1000,
      fanout_worker_memory_mb: 1769,
      fanout_worker_timeout_seconds: 300,
      fanout_max_concurrency: 16,
      account_connections_rate: 10000,
      fanout_rate_share: 0.9,
      fanout_max_receive_count: 3,
      fanout_alarm_actions: [],
      ...AUTH_DEFAULTS,
    });
  });
});

describe("WebSocket API", () => {
  it("selects the route by the body's action", () => {
    // Prepare / Act
    const api = tf.get("aws_apigatewayv2_api", "websocket-api/api");
    // Assess
    expect(api.protocol_type).toBe("WEBSOCKET");
    expect(api.route_selection_expression).toBe("$request.body.action");
  });

  it("routes $connect, $disconnect, $default and every client action to one Lambda proxy integration", () => {
    // Prepare
    const integration = tf.get("aws_apigatewayv2_integration", "websocket-api/integration");
    const integrationId = tf.ref("aws_apigatewayv2_integration", "websocket-api/integration", "id");
    // Act
    const routes = Object.values(tf.all("aws_apigatewayv2_route"));
    // Assess
    expect(Object.keys(tf.all("aws_apigatewayv2_integration"))).toHaveLength(1);
    expect(integration.integration_type).toBe("AWS_PROXY");
    expect(integration.integration_uri).toBe(tf.ref("aws_lambda_function", "handler/function", "invoke_arn"));
    expect(routes.map((route) => route.route_key).sort()).toEqual([
      "$connect",
      "$default",
      "$disconnect",
      "broadcast",
      "ping",
      "publish",
      "subscribe",
      "unsubscribe",
    ]);
    for (const route of routes) expect(route.target).toBe(`integrations/${integrationId}`);
  });

  it("auto-deploys a stage with JSON access logs and default route throttling from variables", () => {
    // Prepare
    const stage = tf.get("aws_apigatewayv2_stage", "websocket-api/stage");
    // Act
    const format = JSON.parse(stage.access_log_settings.format);
    // Assess
    expect(stage.name).toBe("${var.stage_name}");
    expect(stage.auto_deploy).toBe(true);
    expect(stage.access_log_settings.destination_arn).toBe(
      tf.ref("aws_cloudwatch_log_group", "websocket-api/access-log-group", "arn"),
    );
    expect(format).toEqual(ACCESS_LOG_FORMAT);
    expect(format).toMatchObject({
      requestId: "$context.requestId",
      connectionId: "$context.connectionId",
      routeKey: "$context.routeKey",
      status: "$context.status",
      integrationError: "$context.integration.error",
    });
    expect(stage.default_route_settings).toEqual({
      throttling_burst_limit: "${var.throttling_burst_limit}",
      throttling_rate_limit: "${var.throttling_rate_limit}",
    });
  });

  it("lets API Gateway invoke the function only for each route of this stage (exact source ARNs)", () => {
    // Prepare
    const executionArn = tf.ref("aws_apigatewayv2_api", "websocket-api/api", "execution_arn");
    const stageName = tf.ref("aws_apigatewayv2_stage", "websocket-api/stage", "name");
    // Act
    // The $connect authorizer's permission is checked in test/deployment/auth.test.ts.
    const permissions = Object.values(tf.all("aws_lambda_permission")).filter(
      (p) => p.principal === "apigateway.amazonaws.com" && !String(p.source_arn).includes("/authorizers/"),
    );
    // Assess
    expect(permissions.map((p) => p.source_arn).sort()).toEqual(
      ROUTE_KEYS.map((routeKey) => `${executionArn}/${stageName}/${routeKey}`).sort(),
    );
    for (const permission of permissions) {
      expect(permission.action).toBe("lambda:InvokeFunction");
      expect(permission.function_name).toBe(
        tf.ref("aws_lambda_function", "handler/function", "function_name"),
      );
    }
  });
});

describe("Lambda function", () => {
  it("runs the bundle on nodejs24.x, arm64, with memory and timeout from variables", () => {
    // Prepare / Act
    const fn = tf.get("aws_lambda_function", "handler/function");
    // Assess
    expect(fn.runtime).toBe("nodejs24.x");
    expect(fn.architectures).toEqual(["arm64"]);
    expect(fn.handler).toBe("index.handler");
    expect(fn.memory_size).toBe("${var.lambda_memory_mb}");
    expect(fn.timeout).toBe("${var.lambda_timeout_seconds}");
  });

  it("deploys the real zip from inside the stack folder, with source_code_hash of its bytes", () => {
    // Prepare
    const fn = tf.get("aws_lambda_function", "handler/function");
    // Act
    const copied = readFileSync(join(stackDir, fn.filename));
    // Assess
    expect(isAbsolute(fn.filename)).toBe(false);
    expect(fn.source_code_hash).toBe(zipHash);
    expect(createHash("sha256").update(copied).digest("base64")).toBe(zipHash);
  });

  it("carries the bucket, prefix, management endpoint and fan-out settings in its environment", () => {
    // Prepare
    const apiEndpoint = tf.ref("aws_apigatewayv2_api", "websocket-api/api", "api_endpoint").slice(2, -1);
    const stageName = "${var.stage_name}"; // not the stage's: the stage waits for the routes
    // Act
    const env = tf.get("aws_lambda_function", "handler/function").environment.variables;
    // Assess
    expect(env).toEqual({
      CONNECTION_BUCKET: tf.ref("aws_s3_bucket", "connection-bucket/bucket", "bucket"),
      CONNECTION_PREFIX: "${var.connection_prefix}",
      MANAGEMENT_ENDPOINT: `\${replace(${apiEndpoint}, "wss://", "https://")}/${stageName}`,
      FANOUT_CONCURRENCY: "${var.fanout_concurrency}",
      FANOUT_SEND_TIMEOUT_MS: "${var.fanout_send_timeout_ms}",
      POWERTOOLS_LOG_LEVEL: "${var.log_level}",
      POWERTOOLS_SERVICE_NAME: "${var.app_name}",
      NODE_OPTIONS: "--enable-source-maps",
      FANOUT_QUEUE_URL: tf.ref("aws_sqs_queue", "fanout-queue/queue", "url"),
      FANOUT_SHARDS: "${var.fanout_shards}",
      FANOUT_INLINE_MAX: "${var.fanout_inline_max}",
      // auth: test/deployment/auth.test.ts checks each
      AUTH_MODE: "${var.auth_mode}",
      TOKEN_SECRET_ARN: env.TOKEN_SECRET_ARN,
      TOKEN_JWKS_URL: "${var.token_jwks_url}",
      TOKEN_ISSUER: "${var.token_issuer}",
      TOKEN_AUDIENCE: "${var.token_audience}",
      ALLOWED_ORIGINS: '${join(",", var.allowed_origins)}',
      CLIENT_PUBLISHING: "${var.client_publishing}",
      MAX_BROADCAST_BYTES: "${var.max_broadcast_bytes}",
      EXPECTED_API_ID: tf.ref("aws_apigatewayv2_api", "websocket-api/api", "id"),
      INPUT_TOPIC_ARN: tf.ref("aws_sns_topic", "input-topic/topic", "arn"),
    });
  });

  it("logs to its own log group, whose retention comes from a variable (default 7 days)", () => {
    // Prepare
    const logGroup = tf.get("aws_cloudwatch_log_group", "handler/log-group");
    // Act
    const fn = tf.get("aws_lambda_function", "handler/function");
    // Assess
    expect(logGroup.name).toBe("/aws/lambda/${local.name}");
    expect(logGroup.retention_in_days).toBe("${var.log_retention_days}");
    expect(tf.get("aws_cloudwatch_log_group", "websocket-api/access-log-group").retention_in_days).toBe(
      "${var.log_retention_days}",
    );
    expect(fn.logging_config.log_group).toBe(tf.ref("aws_cloudwatch_log_group", "handler/log-group", "name"));
    expect(fn.depends_on).toContain(
      `aws_cloudwatch_log_group.${tf.find("aws_cloudwatch_log_group", "handler/log-group").id}`,
    );
  });
});

/** The IAM action that authorises each S3 call of the SDK the handler could make on connection keys. */
const S3_KEY_ACTIONS: Record<string, string> = {
  PutObjectCommand: "s3:PutObject",
  DeleteObjectCommand: "s3:DeleteObject",
  DeleteObjectsCommand: "s3:DeleteObject",
  GetObjectCommand: "s3:GetObject",
  HeadObjectCommand: "s3:GetObject",
  GetObjectAttributesCommand: "s3:GetObject",
  CopyObjectCommand: "s3:PutObject",
};

/** The S3 key actions that `src/` needs: from the SDK commands its files name. */
function s3KeyActionsUsedBySrc(): string[] {
  const files = readdirSync(join(repoRoot, "src"), { recursive: true, encoding: "utf8" }).filter((f) =>
    f.endsWith(".ts"),
  );
  const used = new Set<string>();
  for (const file of files) {
    const text = readFileSync(join(repoRoot, "src", file), "utf8");
    for (const [command, action] of Object.entries(S3_KEY_ACTIONS))
      if (new RegExp(`\\b${command}\\b`).test(text)) used.add(action);
  }
  return [...used].sort();
}

describe("connection_prefix", () => {
  it("is validated apart from the membership prefixes, as src/config.ts refuses them at cold start", () => {
    // Prepare / Act
    const variable = (tf.root.variable as Record<string, { validation?: unknown }>).connection_prefix;
    // Assess
    expect(variable?.validation).toEqual([
      {
        condition:
          '${!contains(["channel-members","connection-channels"], split("/", trim(var.connection_prefix, "/"))[0])}',
        error_message: expect.stringContaining("channel-members or connection-channels"),
      },
    ]);
  });
});

describe("IAM", () => {
  it("grants on connection keys exactly the S3 actions the handler's code calls, nothing unused", () => {
    // Prepare
    const used = s3KeyActionsUsedBySrc();
    // Act
    const keys = (tf.statements("handler/permissions") as { sid: string; actions: string[] }[]).find(
      (statement) => statement.sid === "ConnectionKeys",
    );
    // Assess
    expect(used).toEqual(["s3:DeleteObject", "s3:PutObject"]);
    expect([...(keys?.actions ?? [])].sort()).toEqual(used);
  });

  it("lets only Lambda assume the function's role", () => {
    // Prepare / Act
    const statements = tf.statements("handler/assume-role");
    // Assess
    expect(statements).toEqual([
      {
        effect: "Allow",
        actions: ["sts:AssumeRole"],
        principals: [{ type: "Service", identifiers: ["lambda.amazonaws.com"] }],
      },
    ]);
  });

  it("grants the function exactly its keys, its listing, its stage's @connections and its log group", () => {
    // Prepare
    const bucketArn = tf.ref("aws_s3_bucket", "connection-bucket/bucket", "arn");
    const executionArn = tf.ref("aws_apigatewayv2_api", "websocket-api/api", "execution_arn");
    const stageName = "${var.stage_name}"; // not the stage's: the stage waits for the routes
    const logGroupArn = tf.ref("aws_cloudwatch_log_group", "handler/log-group", "arn");
    // Act
    const statements = tf.statements("handler/permissions");
    // Assess
    expect(statements).toEqual([
      {
        sid: "ConnectionKeys",
        effect: "Allow",
        actions: ["s3:PutObject", "s3:DeleteObject"],
        resources: [
          `${bucketArn}/\${var.connection_prefix}/*`,
          `${bucketArn}/channel-members/*`,
          `${bucketArn}/connection-channels/*`,
        ],
      },
      {
        sid: "ListConnectionKeys",
        effect: "Allow",
        actions: ["s3:ListBucket"],
        resources: [bucketArn],
        condition: [
          {
            test: "StringLike",
            variable: "s3:prefix",
            values: ["${var.connection_prefix}/*", "channel-members/*", "connection-channels/*"],
          },
        ],
      },
      {
        sid: "PostToConnections",
        effect: "Allow",
        actions: ["execute-api:ManageConnections"],
        resources: [`${executionArn}/${stageName}/POST/@connections/*`],
      },
      {
        sid: "OwnLogGroup",
        effect: "Allow",
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [`${logGroupArn}:log-stream:*`],
      },
    ]);
    expect(tf.get("aws_iam_role_policy", "handler/role-policy").policy).toBe(
      tf.ref("aws_iam_policy_document", "handler/permissions", "json", "data"),
    );
  });

  it("attaches no managed policy to the function's role", () => {
    // Prepare
    const roleId = tf.find("aws_iam_role", "handler/role").id;
    // Act
    const attachments = Object.values(tf.all("aws_iam_role_policy_attachment")).filter((a) =>
      String(a.role).includes(roleId),
    );
    // Assess
    expect(attachments).toEqual([]);
  });

  it("creates the account's API Gateway CloudWatch role only when init_api_gw_logging_role is true", () => {
    // Prepare
    const count = "${var.init_api_gw_logging_role ? 1 : 0}";
    const roleId = tf.find("aws_iam_role", "api-gateway-logging-role/role").id;
    const accountId = tf.find("aws_api_gateway_account", "api-gateway-logging-role/account").id;
    // Act
    const role = tf.get("aws_iam_role", "api-gateway-logging-role/role");
    const attachment = tf.get(
      "aws_iam_role_policy_attachment",
      "api-gateway-logging-role/push-to-cloudwatch",
    );
    const account = tf.get("aws_api_gateway_account", "api-gateway-logging-role/account");
    // Assess
    expect([role.count, attachment.count, account.count]).toEqual([count, count, count]);
    expect(tf.statements("api-gateway-logging-role/assume-role")).toEqual([
      {
        effect: "Allow",
        actions: ["sts:AssumeRole"],
        principals: [{ type: "Service", identifiers: ["apigateway.amazonaws.com"] }],
        // auth: only on behalf of this account (the confused-deputy guard)
        condition: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [ACCOUNT] }],
      },
    ]);
    expect(attachment.policy_arn).toBe(
      `arn:${PARTITION}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs`,
    );
    expect(account.cloudwatch_role_arn).toBe(`\${aws_iam_role.${roleId}[0].arn}`);
    expect(tf.get("aws_apigatewayv2_stage", "websocket-api/stage").depends_on[0]).toBe(
      `aws_api_gateway_account.${accountId}`,
    );
  });
});

describe("connection bucket", () => {
  it("blocks every kind of public access", () => {
    // Prepare / Act
    const block = tf.get("aws_s3_bucket_public_access_block", "connection-bucket/public-access-block");
    // Assess
    expect(block).toMatchObject({
      bucket: tf.ref("aws_s3_bucket", "connection-bucket/bucket", "id"),
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
  });

  it("encrypts at rest and disables ACLs", () => {
    // Prepare / Act
    const encryption = tf.get(
      "aws_s3_bucket_server_side_encryption_configuration",
      "connection-bucket/encryption",
    );
    const ownership = tf.get("aws_s3_bucket_ownership_controls", "connection-bucket/ownership");
    // Assess
    expect(encryption.rule[0].apply_server_side_encryption_by_default).toEqual({ sse_algorithm: "AES256" });
    expect(ownership.rule).toEqual({ object_ownership: "BucketOwnerEnforced" });
  });

  it("denies every request that does not use TLS", () => {
    // Prepare
    const bucketArn = tf.ref("aws_s3_bucket", "connection-bucket/bucket", "arn");
    // Act
    const policy = tf.get("aws_s3_bucket_policy", "connection-bucket/policy");
    // Assess
    expect(policy.policy).toBe(
      tf.ref("aws_iam_policy_document", "connection-bucket/tls-only", "json", "data"),
    );
    expect(tf.statements("connection-bucket/tls-only")).toEqual([
      {
        sid: "DenyInsecureTransport",
        effect: "Deny",
        principals: [{ type: "*", identifiers: ["*"] }],
        actions: ["s3:*"],
        resources: [bucketArn, `${bucketArn}/*`],
        condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
      },
    ]);
  });

  it("expires connection keys after 1 day", () => {
    // Prepare / Act
    const rules = tf.get("aws_s3_bucket_lifecycle_configuration", "connection-bucket/lifecycle").rule;
    // Assess
    expect(rules).toHaveLength(3);
    expect(rules[0]).toMatchObject({
      status: "Enabled",
      filter: [{ prefix: "${var.connection_prefix}/" }],
      expiration: [{ days: 1 }],
    });
  });

  it("expires channel membership keys after 1 day, both the members and the reverse index", () => {
    // Prepare / Act
    const rules = tf.get("aws_s3_bucket_lifecycle_configuration", "connection-bucket/lifecycle").rule;
    // Assess
    expect(rules.slice(1)).toMatchObject([
      {
        id: "expire-stale-channel-members",
        status: "Enabled",
        filter: [{ prefix: "channel-members/" }],
        expiration: [{ days: 1 }],
      },
      {
        id: "expire-stale-connection-channels",
        status: "Enabled",
        filter: [{ prefix: "connection-channels/" }],
        expiration: [{ days: 1 }],
      },
    ]);
  });

  it("takes force_destroy from a variable", () => {
    // Prepare / Act
    const bucket = tf.get("aws_s3_bucket", "connection-bucket/bucket");
    // Assess
    expect(bucket.force_destroy).toBe("${var.force_destroy}");
  });
});

describe("input topic", () => {
  it("delivers to the function, which only this topic may invoke through SNS", () => {
    // Prepare
    const topicArn = tf.ref("aws_sns_topic", "input-topic/topic", "arn");
    // Act
    const subscription = tf.get("aws_sns_topic_subscription", "input-topic/subscription");
    const permission = tf.get("aws_lambda_permission", "input-topic/invoke-permission");
    // Assess
    expect(subscription).toMatchObject({
      topic_arn: topicArn,
      protocol: "lambda",
      endpoint: tf.ref("aws_lambda_function", "handler/function", "arn"),
    });
    expect(permission).toMatchObject({
      action: "lambda:InvokeFunction",
      principal: "sns.amazonaws.com",
      source_arn: topicArn,
      function_name: tf.ref("aws_lambda_function", "handler/function", "function_name"),
    });
  });

  it("allows publishing only from the owning account and the listed principals, over TLS", () => {
    // Prepare
    const topicArn = tf.ref("aws_sns_topic", "input-topic/topic", "arn");
    // Act
    const policy = tf.get("aws_sns_topic_policy", "input-topic/policy");
    // Assess
    expect(policy.arn).toBe(topicArn);
    expect(policy.policy).toBe(tf.ref("aws_iam_policy_document", "input-topic/publishers", "json", "data"));
    expect(tf.statements("input-topic/publishers")).toEqual([
      {
        sid: "PublishFromOwnerAndListedPrincipals",
        effect: "Allow",
        principals: [
          {
            type: "AWS",
            identifiers: `\${concat(["arn:${PARTITION}:iam::${ACCOUNT}:root"], var.sns_publisher_principals)}`,
          },
        ],
        actions: ["sns:Publish"],
        resources: [topicArn],
      },
      {
        sid: "DenyInsecureTransport",
        effect: "Deny",
        principals: [{ type: "*", identifiers: ["*"] }],
        actions: ["sns:Publish"],
        resources: [topicArn],
        condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
      },
    ]);
  });
});

describe("outputs", () => {
  it("are exactly the StackOutputs names, each described and pointing at the right attribute", () => {
    // Prepare
    const apiEndpoint = tf.ref("aws_apigatewayv2_api", "websocket-api/api", "api_endpoint").slice(2, -1);
    const stageName = "${var.stage_name}"; // not the stage's: the stage waits for the routes
    const expected: Record<keyof StackOutputs, string> = {
      ws_url: tf.ref("aws_apigatewayv2_stage", "websocket-api/stage", "invoke_url"),
      lambda_function_name: tf.ref("aws_lambda_function", "handler/function", "function_name"),
      input_sns_topic_arn: tf.ref("aws_sns_topic", "input-topic/topic", "arn"),
      lambda_log_group: tf.ref("aws_cloudwatch_log_group", "handler/log-group", "name"),
      api_gw_log_group: tf.ref("aws_cloudwatch_log_group", "websocket-api/access-log-group", "name"),
      management_endpoint: `\${replace(${apiEndpoint}, "wss://", "https://")}/${stageName}`,
      connection_bucket: tf.ref("aws_s3_bucket", "connection-bucket/bucket", "bucket"),
      connection_prefix: "${var.connection_prefix}",
      auth_mode: "${var.auth_mode}",
      token_secret_arn: `\${((var.auth_mode == "token") && (var.token_jwks_url == "")) ? ${tf
        .ref("aws_secretsmanager_secret", "token-secret/secret", "arn")
        .slice(2, -1)
        .replace(".arn", "[0].arn")} : ""}`,
      shard_dead_letter_queue_url: tf.ref("aws_sqs_queue", "fanout-queue/dead-letter-queue", "url"),
    };
    // Act
    const outputs = tf.root.output as Record<string, { value: string; description: string }>;
    // Assess
    expect(Object.fromEntries(Object.entries(outputs).map(([name, o]) => [name, o.value]))).toEqual(expected);
    for (const output of Object.values(outputs)) expect(output.description.length).toBeGreaterThan(20);
  });
});

describe("stack folder", () => {
  it("holds the Terraform file and the zip, nothing that needs CDK Terrain", () => {
    // Prepare / Act
    const fn = tf.get("aws_lambda_function", "handler/function");
    // Assess
    expect(existsSync(join(stackDir, "cdk.tf.json"))).toBe(true);
    expect(existsSync(join(stackDir, fn.filename))).toBe(true);
    expect(fn.filename).toMatch(/^assets\/.+\/lambda\.zip$/);
  });
});

describe("fan-out shards", () => {
  it("queues shards encrypted, redriving to an encrypted dead-letter queue after fanout_max_receive_count", () => {
    // Prepare
    const dlqArn = tf.ref("aws_sqs_queue", "fanout-queue/dead-letter-queue", "arn");
    // Act
    const queue = tf.get("aws_sqs_queue", "fanout-queue/queue");
    const dlq = tf.get("aws_sqs_queue", "fanout-queue/dead-letter-queue");
    // Assess
    expect(queue.name).toBe("${local.name}-shards");
    expect(queue.sqs_managed_sse_enabled).toBe(true);
    expect(queue.visibility_timeout_seconds).toBe("${(var.fanout_worker_timeout_seconds * 6)}");
    expect(queue.redrive_policy).toBe(
      `\${jsonencode({"deadLetterTargetArn" = ${dlqArn.slice(2, -1)}, "maxReceiveCount" = var.fanout_max_receive_count})}`,
    );
    expect(dlq).toMatchObject({ sqs_managed_sse_enabled: true, message_retention_seconds: 1209600 });
  });

  it("alarms as soon as the dead-letter queue holds a shard", () => {
    // Prepare / Act
    const alarm = tf.get("aws_cloudwatch_metric_alarm", "fanout-queue/dead-letter-alarm");
    // Assess
    expect(alarm).toMatchObject({
      namespace: "AWS/SQS",
      metric_name: "ApproximateNumberOfMessagesVisible",
      dimensions: { QueueName: tf.ref("aws_sqs_queue", "fanout-queue/dead-letter-queue", "name") },
      comparison_operator: "GreaterThanThreshold",
      threshold: 0,
      alarm_actions: "${var.fanout_alarm_actions}",
    });
  });

  it("feeds the worker one shard at a time, reporting failures per record, at most fanout_max_concurrency at once", () => {
    // Prepare
    const worker = tf.find("aws_lambda_function", "fanout-queue/worker").id;
    // Act
    const mapping = tf.get("aws_lambda_event_source_mapping", "fanout-queue/event-source-mapping");
    // Assess
    expect(mapping).toMatchObject({
      event_source_arn: tf.ref("aws_sqs_queue", "fanout-queue/queue", "arn"),
      function_name: `\${aws_lambda_function.${worker}.arn}`,
      batch_size: 1,
      function_response_types: ["ReportBatchItemFailures"],
      scaling_config: { maximum_concurrency: "${var.fanout_max_concurrency}" },
    });
  });

  it("runs the handler's code in a worker sized by its own variables, pacing each shard to its share", () => {
    // Prepare
    const handler = tf.get("aws_lambda_function", "handler/function");
    // Act
    const worker = tf.get("aws_lambda_function", "fanout-queue/worker");
    // Assess
    const same = (attribute: string) => tf.ref("aws_lambda_function", "handler/function", attribute);
    expect(worker).toMatchObject({
      function_name: "${local.name}-shards",
      // The handler's code: its zip and hash by reference, so both functions always run the same bundle.
      handler: same("handler"),
      filename: same("filename"),
      source_code_hash: same("source_code_hash"),
      runtime: same("runtime"),
      role: handler.role,
      memory_size: "${var.fanout_worker_memory_mb}",
      timeout: "${var.fanout_worker_timeout_seconds}",
      reserved_concurrent_executions: "${var.fanout_max_concurrency}",
    });
    expect(worker.logging_config).toEqual({
      log_format: "Text",
      log_group: same("logging_config[0].log_group"),
    });
    expect(worker.environment.variables).toEqual({
      ...handler.environment.variables,
      FANOUT_SHARD_RATE:
        "${floor(((var.account_connections_rate * var.fanout_rate_share) / var.fanout_max_concurrency))}",
    });
    // The auth block too: the worker's cold start loads the same configuration, which fails closed without it.
    expect(worker.environment.variables).toMatchObject({
      AUTH_MODE: "${var.auth_mode}",
      TOKEN_SECRET_ARN: handler.environment.variables.TOKEN_SECRET_ARN,
    });
  });

  it("lets the function send to its queue only, and receive and delete from it for the mapping", () => {
    // Prepare
    const queueArn = tf.ref("aws_sqs_queue", "fanout-queue/queue", "arn");
    // Act
    const statements = tf.statements("fanout-queue/permissions");
    // Assess
    expect(statements).toEqual([
      { sid: "SendShards", effect: "Allow", actions: ["sqs:SendMessage"], resources: [queueArn] },
      {
        sid: "ReceiveShards",
        effect: "Allow",
        actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
        resources: [queueArn],
      },
    ]);
    expect(tf.get("aws_iam_role_policy", "fanout-queue/role-policy").role).toBe(
      tf.ref("aws_iam_role", "handler/role", "id"),
    );
  });
});
