// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the expected values are Terraform expressions.

import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../../util/lib/repo.js";
import { synthesizedStack } from "../support/synth.js";

const stack = synthesizedStack();

describe("Lambda function", () => {
  it("runs the bundle on nodejs24.x, arm64, with memory and timeout from variables", () => {
    // Prepare / Act
    const fn = stack.tf.get("aws_lambda_function", "handler/function");
    // Assess
    expect(fn.runtime).toBe("nodejs24.x");
    expect(fn.architectures).toEqual(["arm64"]);
    expect(fn.handler).toBe("index.handler");
    expect(fn.memory_size).toBe("${var.lambda_memory_mb}");
    expect(fn.timeout).toBe("${var.lambda_timeout_seconds}");
  });

  it("deploys the real zip from inside the stack folder, with source_code_hash of its bytes", () => {
    // Prepare
    const fn = stack.tf.get("aws_lambda_function", "handler/function");
    // Act
    const copied = readFileSync(join(stack.stackDir, fn.filename));
    // Assess
    expect(isAbsolute(fn.filename)).toBe(false);
    expect(fn.source_code_hash).toBe(stack.zipHash);
    expect(createHash("sha256").update(copied).digest("base64")).toBe(stack.zipHash);
  });

  it("carries the bucket, prefix, management endpoint and fan-out settings in its environment", () => {
    // Prepare
    const apiEndpoint = stack.tf
      .ref("aws_apigatewayv2_api", "websocket-api/api", "api_endpoint")
      .slice(2, -1);
    const stageName = "${var.stage_name}"; // not the stage's: the stage waits for the routes
    // Act
    const env = stack.tf.get("aws_lambda_function", "handler/function").environment.variables;
    // Assess
    expect(env).toEqual({
      CONNECTION_BUCKET: stack.tf.ref("aws_s3_bucket", "connection-bucket/bucket", "bucket"),
      CONNECTION_PREFIX: "${var.connection_prefix}",
      MANAGEMENT_ENDPOINT: `\${replace(${apiEndpoint}, "wss://", "https://")}/${stageName}`,
      FANOUT_CONCURRENCY: "${var.fanout_concurrency}",
      FANOUT_SEND_TIMEOUT_MS: "${var.fanout_send_timeout_ms}",
      POWERTOOLS_LOG_LEVEL: "${var.log_level}",
      POWERTOOLS_SERVICE_NAME: "${var.app_name}",
      NODE_OPTIONS: "--enable-source-maps",
      SHARD_QUEUE_URL: stack.tf.ref("aws_sqs_queue", "fanout-queue/queue", "url"),
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
      MAX_CLIENT_MESSAGE_BYTES: "${var.max_client_message_bytes}",
      EXPECTED_API_ID: stack.tf.ref("aws_apigatewayv2_api", "websocket-api/api", "id"),
      INPUT_TOPIC_ARN: stack.tf.ref("aws_sns_topic", "input-topic/topic", "arn"),
      // the channel history: none when its retention is 0
      HISTORY_CHANNELS: '${(var.history_retention_days > 0) ? join(",", var.history_channels) : ""}',
    });
  });

  it("logs to its own log group, whose retention comes from a variable (default 7 days)", () => {
    // Prepare
    const logGroup = stack.tf.get("aws_cloudwatch_log_group", "handler/log-group");
    // Act
    const fn = stack.tf.get("aws_lambda_function", "handler/function");
    // Assess
    expect(logGroup.name).toBe("/aws/lambda/${local.name}");
    expect(logGroup.retention_in_days).toBe("${var.log_retention_days}");
    expect(stack.tf.get("aws_cloudwatch_log_group", "websocket-api/access-log-group").retention_in_days).toBe(
      "${var.log_retention_days}",
    );
    expect(fn.logging_config.log_group).toBe(
      stack.tf.ref("aws_cloudwatch_log_group", "handler/log-group", "name"),
    );
    expect(fn.depends_on).toContain(
      `aws_cloudwatch_log_group.${stack.tf.find("aws_cloudwatch_log_group", "handler/log-group").id}`,
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

describe("IAM", () => {
  it("grants on keys exactly the S3 actions the handler's code calls, nothing unused", () => {
    // Prepare
    const used = s3KeyActionsUsedBySrc();
    // Act: the statements on keys (not the bucket's listing)
    const onKeys = (
      stack.tf.statements("handler/permissions") as { sid: string; actions: string[] }[]
    ).filter((statement) => statement.sid === "ConnectionKeys" || statement.sid === "ChannelHistory");
    // Assess: GetObject only for the channel history, the one key the handler reads back
    expect(used).toEqual(["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]);
    expect([...new Set(onKeys.flatMap((statement) => statement.actions))].sort()).toEqual(used);
  });

  it("lets only Lambda assume the function's role", () => {
    // Prepare / Act
    const statements = stack.tf.statements("handler/assume-role");
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
    const bucketArn = stack.tf.ref("aws_s3_bucket", "connection-bucket/bucket", "arn");
    const executionArn = stack.tf.ref("aws_apigatewayv2_api", "websocket-api/api", "execution_arn");
    const stageName = "${var.stage_name}"; // not the stage's: the stage waits for the routes
    const logGroupArn = stack.tf.ref("aws_cloudwatch_log_group", "handler/log-group", "arn");
    // Act
    const statements = stack.tf.statements("handler/permissions");
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
        sid: "ChannelHistory",
        effect: "Allow",
        actions: ["s3:PutObject", "s3:GetObject"],
        resources: [`${bucketArn}/channel-history/*`],
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
            values: [
              "${var.connection_prefix}/*",
              "channel-members/*",
              "connection-channels/*",
              "channel-history/*",
            ],
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
    expect(stack.tf.get("aws_iam_role_policy", "handler/role-policy").policy).toBe(
      stack.tf.ref("aws_iam_policy_document", "handler/permissions", "json", "data"),
    );
  });

  it("attaches no managed policy to the function's role", () => {
    // Prepare
    const roleId = stack.tf.find("aws_iam_role", "handler/role").id;
    // Act
    const attachments = Object.values(stack.tf.all("aws_iam_role_policy_attachment")).filter((a) =>
      String(a.role).includes(roleId),
    );
    // Assess
    expect(attachments).toEqual([]);
  });
});
