// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the expected values are Terraform expressions.
import { describe, expect, it } from "vitest";
import { queueAlarmOf, synthesizedStack } from "../support/synth.js";

const stack = synthesizedStack();

describe("shard queue", () => {
  it("queues shards encrypted, redriving to an encrypted dead-letter queue after fanout_max_receive_count", () => {
    // Prepare
    const dlqArn = stack.tf.ref("aws_sqs_queue", "fanout-queue/dead-letter-queue", "arn");
    // Act
    const queue = stack.tf.get("aws_sqs_queue", "fanout-queue/queue");
    const dlq = stack.tf.get("aws_sqs_queue", "fanout-queue/dead-letter-queue");
    // Assess
    expect(queue.name).toBe("${local.name}-shards");
    expect(queue.sqs_managed_sse_enabled).toBe(true);
    // One run's worst case: the worker's timeout and 30 s (docs/scaling.md), so a shard whose worker died comes
    // back in 330 s by default, not 1,800.
    expect(queue.visibility_timeout_seconds).toBe("${(var.fanout_worker_timeout_seconds + 30)}");
    expect(queue.redrive_policy).toBe(
      `\${jsonencode({"deadLetterTargetArn" = ${dlqArn.slice(2, -1)}, "maxReceiveCount" = var.fanout_max_receive_count})}`,
    );
    expect(dlq).toMatchObject({ sqs_managed_sse_enabled: true, message_retention_seconds: 1209600 });
  });

  it("alarms as soon as the dead-letter queue holds a shard", () => {
    // Prepare / Act
    const alarm = stack.tf.get("aws_cloudwatch_metric_alarm", "fanout-queue/dead-letter-alarm");
    // Assess
    expect(alarm).toMatchObject(
      queueAlarmOf(stack.tf, "fanout-queue/dead-letter-queue", "${var.fanout_alarm_actions}"),
    );
  });

  it("feeds the worker one shard at a time, reporting failures per record, at most fanout_max_concurrency at once", () => {
    // Prepare
    const worker = stack.tf.find("aws_lambda_function", "fanout-queue/worker").id;
    // Act
    const mapping = stack.tf.get("aws_lambda_event_source_mapping", "fanout-queue/event-source-mapping");
    // Assess
    expect(mapping).toMatchObject({
      event_source_arn: stack.tf.ref("aws_sqs_queue", "fanout-queue/queue", "arn"),
      function_name: `\${aws_lambda_function.${worker}.arn}`,
      batch_size: 1,
      function_response_types: ["ReportBatchItemFailures"],
      scaling_config: { maximum_concurrency: "${var.fanout_max_concurrency}" },
    });
  });

  it("runs the handler's code in a worker sized by its own variables, pacing each shard to its share of the rate and burst", () => {
    // Prepare
    const handler = stack.tf.get("aws_lambda_function", "handler/function");
    // Act
    const worker = stack.tf.get("aws_lambda_function", "fanout-queue/worker");
    // Assess
    const same = (attribute: string) => stack.tf.ref("aws_lambda_function", "handler/function", attribute);
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
      FANOUT_SHARD_BURST:
        "${floor(((var.account_connections_burst * var.fanout_rate_share) / var.fanout_max_concurrency))}",
      FANOUT_SHARD_MAX_AGE_SECONDS: "${var.fanout_shard_max_age_seconds}",
      SHARD_DEAD_LETTER_QUEUE_URL: stack.tf.ref("aws_sqs_queue", "fanout-queue/dead-letter-queue", "url"),
    });
    // The auth block too: the worker's cold start loads the same configuration, which fails closed without it.
    expect(worker.environment.variables).toMatchObject({
      AUTH_MODE: "${var.auth_mode}",
      TOKEN_SECRET_ARN: handler.environment.variables.TOKEN_SECRET_ARN,
    });
  });

  it("lets the function send to its queue and its dead-letter queue only, and receive and delete from the queue for the mapping", () => {
    // Prepare
    const queueArn = stack.tf.ref("aws_sqs_queue", "fanout-queue/queue", "arn");
    const dlqArn = stack.tf.ref("aws_sqs_queue", "fanout-queue/dead-letter-queue", "arn");
    // Act
    const statements = stack.tf.statements("fanout-queue/permissions");
    // Assess
    expect(statements).toEqual([
      { sid: "SendShards", effect: "Allow", actions: ["sqs:SendMessage"], resources: [queueArn] },
      { sid: "SetAsideShards", effect: "Allow", actions: ["sqs:SendMessage"], resources: [dlqArn] },
      {
        sid: "ReceiveShards",
        effect: "Allow",
        actions: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
        resources: [queueArn],
      },
    ]);
    expect(stack.tf.get("aws_iam_role_policy", "fanout-queue/role-policy").role).toBe(
      stack.tf.ref("aws_iam_role", "handler/role", "id"),
    );
  });
});
