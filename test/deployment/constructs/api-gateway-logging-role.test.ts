// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the expected values are Terraform expressions.
import { describe, expect, it } from "vitest";
import { ACCOUNT, PARTITION, synthesizedStack } from "../support/synth.js";

const stack = synthesizedStack();

describe("API Gateway logging role", () => {
  it("creates the account's API Gateway CloudWatch role only when init_api_gw_logging_role is true", () => {
    // Prepare
    const count = "${var.init_api_gw_logging_role ? 1 : 0}";
    const roleId = stack.tf.find("aws_iam_role", "api-gateway-logging-role/role").id;
    const accountId = stack.tf.find("aws_api_gateway_account", "api-gateway-logging-role/account").id;
    // Act
    const role = stack.tf.get("aws_iam_role", "api-gateway-logging-role/role");
    const attachment = stack.tf.get(
      "aws_iam_role_policy_attachment",
      "api-gateway-logging-role/push-to-cloudwatch",
    );
    const account = stack.tf.get("aws_api_gateway_account", "api-gateway-logging-role/account");
    // Assess
    expect([role.count, attachment.count, account.count]).toEqual([count, count, count]);
    expect(stack.tf.statements("api-gateway-logging-role/assume-role")).toEqual([
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
    expect(stack.tf.get("aws_apigatewayv2_stage", "websocket-api/stage").depends_on[0]).toBe(
      `aws_api_gateway_account.${accountId}`,
    );
  });
});
