// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the expected values are Terraform expressions.
import { describe, expect, it } from "vitest";
import { ACCOUNT, PARTITION, synthesizedStack } from "../support/synth.js";

const stack = synthesizedStack();

describe("input topic", () => {
  it("delivers to the function, which only this topic may invoke through SNS", () => {
    // Prepare
    const topicArn = stack.tf.ref("aws_sns_topic", "input-topic/topic", "arn");
    // Act
    const subscription = stack.tf.get("aws_sns_topic_subscription", "input-topic/subscription");
    const permission = stack.tf.get("aws_lambda_permission", "input-topic/invoke-permission");
    // Assess
    expect(subscription).toMatchObject({
      topic_arn: topicArn,
      protocol: "lambda",
      endpoint: stack.tf.ref("aws_lambda_function", "handler/function", "arn"),
    });
    expect(permission).toMatchObject({
      action: "lambda:InvokeFunction",
      principal: "sns.amazonaws.com",
      source_arn: topicArn,
      function_name: stack.tf.ref("aws_lambda_function", "handler/function", "function_name"),
    });
  });

  it("allows publishing only from the owning account and the listed principals, over TLS", () => {
    // Prepare
    const topicArn = stack.tf.ref("aws_sns_topic", "input-topic/topic", "arn");
    // Act
    const policy = stack.tf.get("aws_sns_topic_policy", "input-topic/policy");
    // Assess
    expect(policy.arn).toBe(topicArn);
    expect(policy.policy).toBe(
      stack.tf.ref("aws_iam_policy_document", "input-topic/publishers", "json", "data"),
    );
    expect(stack.tf.statements("input-topic/publishers")).toEqual([
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
