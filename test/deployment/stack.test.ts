// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the expected values are Terraform expressions.
import { existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AUTH_DEFAULTS } from "../../deployment/auth-variables.js";
import { isValidPattern, type StackOutputs } from "../../src/contract/index.js";
import { repoRoot } from "../../util/lib/repo.js";
import { synthesizedStack } from "./support/synth.js";

const stack = synthesizedStack();

describe("stand-alone Terraform", () => {
  it("names the provider hashicorp/aws, as OpenTofu needs", () => {
    // Prepare / Act: synthesized in beforeAll
    // Assess
    expect(stack.tf.root.terraform.required_providers.aws.source).toBe("hashicorp/aws");
  });

  it("keeps the state in the stack folder by a relative path", () => {
    // Prepare / Act: synthesized in beforeAll
    // Assess
    expect(stack.tf.root.terraform.backend).toEqual({ local: { path: "terraform.tfstate" } });
  });

  it("writes no path of the machine that synthesized it", () => {
    // Prepare
    const text = readFileSync(join(stack.stackDir, "cdk.tf.json"), "utf8");
    // Act
    const leaks = [stack.workDir, repoRoot, tmpdir()].filter((path) => text.includes(path));
    // Assess
    expect(leaks).toEqual([]);
  });

  it("names every resource <app_name>-<workspace>", () => {
    // Prepare / Act: synthesized in beforeAll
    // Assess
    expect(stack.tf.root.locals.name).toBe("${var.app_name}-${terraform.workspace}");
    expect(stack.tf.get("aws_lambda_function", "handler/function").function_name).toBe("${local.name}");
    expect(stack.tf.get("aws_apigatewayv2_api", "websocket-api/api").name).toBe("${local.name}");
    expect(stack.tf.get("aws_sns_topic", "input-topic/topic").name).toBe("${local.name}-input");
    expect(stack.tf.get("aws_iam_role", "handler/role").name).toBe("${local.name}-lambda");
    expect(stack.tf.get("aws_s3_bucket", "connection-bucket/bucket").bucket_prefix).toBe(
      '${replace(lower(substr(local.name, 0, 36)), "/[^a-z0-9-]/", "-")}-',
    );
    expect(stack.tf.root.variable.app_name.default).toBe("fanout");
  });

  it("declares every variable with a description and the documented default", () => {
    // Prepare
    const defaults = Object.fromEntries(
      Object.entries(stack.tf.root.variable as Record<string, { default: unknown }>).map(([name, v]) => [
        name,
        v.default,
      ]),
    );
    // Act
    const undescribed = Object.entries(stack.tf.root.variable as Record<string, { description?: string }>)
      .filter(([, v]) => !v.description)
      .map(([name]) => name);
    // Assess
    expect(undescribed).toEqual([]);
    expect(defaults).toEqual({
      app_name: "fanout",
      region: "us-east-1",
      stage_name: "primary",
      connection_prefix: "active-connections",
      lambda_memory_mb: 1024,
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
      fanout_worker_memory_mb: 1024,
      fanout_worker_timeout_seconds: 300,
      fanout_max_concurrency: 16,
      account_connections_rate: 10000,
      account_connections_burst: 5000,
      fanout_rate_share: 0.9,
      fanout_max_receive_count: 3,
      fanout_shard_max_age_seconds: 60,
      fanout_alarm_actions: [],
      history_retention_days: 1,
      history_channels: ["**"],
      ...AUTH_DEFAULTS,
    });
  });
});

describe("connection_prefix", () => {
  it("is validated apart from the membership prefixes, as src/app/config.ts refuses them at cold start", () => {
    // Prepare / Act
    const variable = (stack.tf.root.variable as Record<string, { validation?: unknown }>).connection_prefix;
    // Assess
    expect(variable?.validation).toEqual([
      {
        condition:
          '${!contains(["channel-members","connection-channels","channel-history"], split("/", trim(var.connection_prefix, "/"))[0])}',
        error_message: expect.stringContaining("channel-members, connection-channels, channel-history"),
      },
    ]);
  });
});

describe("history_channels", () => {
  it("is validated with the pattern grammar that src/app/config.ts checks at cold start", () => {
    // Prepare: the regular expression of the validation, as Terraform reads it from the JSON
    const variable = (stack.tf.root.variable as Record<string, { validation: Array<{ condition: string }> }>)
      .history_channels;
    const hcl = /can\(regex\("(.+)", p\)\)/.exec(variable?.validation[0]?.condition ?? "")?.[1] ?? "";
    // An HCL string literal: "\\" is one backslash.
    const pattern = new RegExp(hcl.replaceAll("\\\\", "\\"));
    const patterns = [
      "**",
      "news/**",
      "*/chat",
      "a.b/c_d-e",
      "news/*/live",
      "x/**/y",
      "**/x",
      "news/",
      "",
      "a b",
      "ne*s",
    ];

    // Act
    const accepted = patterns.filter((p) => pattern.test(p));

    // Assess: what isValidPattern accepts, and nothing else
    expect(accepted).toEqual(patterns.filter((p) => isValidPattern(p)));
    expect(accepted).toEqual(["**", "news/**", "*/chat", "a.b/c_d-e", "news/*/live"]);
  });
});

describe("outputs", () => {
  it("are exactly the StackOutputs names, each described and pointing at the right attribute", () => {
    // Prepare
    const apiEndpoint = stack.tf
      .ref("aws_apigatewayv2_api", "websocket-api/api", "api_endpoint")
      .slice(2, -1);
    const stageName = "${var.stage_name}"; // not the stage's: the stage waits for the routes
    const expected: Record<keyof StackOutputs, string> = {
      ws_url: stack.tf.ref("aws_apigatewayv2_stage", "websocket-api/stage", "invoke_url"),
      lambda_function_name: stack.tf.ref("aws_lambda_function", "handler/function", "function_name"),
      input_sns_topic_arn: stack.tf.ref("aws_sns_topic", "input-topic/topic", "arn"),
      lambda_log_group: stack.tf.ref("aws_cloudwatch_log_group", "handler/log-group", "name"),
      api_gw_log_group: stack.tf.ref("aws_cloudwatch_log_group", "websocket-api/access-log-group", "name"),
      management_endpoint: `\${replace(${apiEndpoint}, "wss://", "https://")}/${stageName}`,
      connection_bucket: stack.tf.ref("aws_s3_bucket", "connection-bucket/bucket", "bucket"),
      connection_prefix: "${var.connection_prefix}",
      auth_mode: "${var.auth_mode}",
      token_secret_arn: `\${((var.auth_mode == "token") && (var.token_jwks_url == "")) ? ${stack.tf
        .ref("aws_secretsmanager_secret", "token-secret/secret", "arn")
        .slice(2, -1)
        .replace(".arn", "[0].arn")} : ""}`,
      shard_dead_letter_queue_url: stack.tf.ref("aws_sqs_queue", "fanout-queue/dead-letter-queue", "url"),
    };
    // Act
    const outputs = stack.tf.root.output as Record<string, { value: string; description: string }>;
    // Assess
    expect(Object.fromEntries(Object.entries(outputs).map(([name, o]) => [name, o.value]))).toEqual(expected);
    for (const output of Object.values(outputs)) expect(output.description.length).toBeGreaterThan(20);
  });
});

describe("stack folder", () => {
  it("holds the Terraform file and the zip, nothing that needs CDK Terrain", () => {
    // Prepare / Act
    const fn = stack.tf.get("aws_lambda_function", "handler/function");
    // Assess
    expect(existsSync(join(stack.stackDir, "cdk.tf.json"))).toBe(true);
    expect(existsSync(join(stack.stackDir, fn.filename))).toBe(true);
    expect(fn.filename).toMatch(/^assets\/.+\/lambda\.zip$/);
  });
});
