// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the expected values are Terraform expressions.
import { describe, expect, it } from "vitest";
import { ACCESS_LOG_FORMAT, ROUTE_KEYS } from "../../../src/contract/index.js";
import { synthesizedStack } from "../support/synth.js";

const stack = synthesizedStack();

describe("WebSocket API", () => {
  it("selects the route by the body's action", () => {
    // Prepare / Act
    const api = stack.tf.get("aws_apigatewayv2_api", "websocket-api/api");
    // Assess
    expect(api.protocol_type).toBe("WEBSOCKET");
    expect(api.route_selection_expression).toBe("$request.body.action");
  });

  it("routes $connect, $disconnect, $default and every client action to one Lambda proxy integration", () => {
    // Prepare
    const integration = stack.tf.get("aws_apigatewayv2_integration", "websocket-api/integration");
    const integrationId = stack.tf.ref("aws_apigatewayv2_integration", "websocket-api/integration", "id");
    // Act
    const routes = Object.values(stack.tf.all("aws_apigatewayv2_route"));
    // Assess
    expect(Object.keys(stack.tf.all("aws_apigatewayv2_integration"))).toHaveLength(1);
    expect(integration.integration_type).toBe("AWS_PROXY");
    expect(integration.integration_uri).toBe(
      stack.tf.ref("aws_lambda_function", "handler/function", "invoke_arn"),
    );
    expect(routes.map((route) => route.route_key).sort()).toEqual([
      "$connect",
      "$default",
      "$disconnect",
      "broadcast",
      "history",
      "ping",
      "publish",
      "subscribe",
      "unsubscribe",
    ]);
    for (const route of routes) expect(route.target).toBe(`integrations/${integrationId}`);
  });

  it("auto-deploys a stage with JSON access logs and default route throttling from variables", () => {
    // Prepare
    const stage = stack.tf.get("aws_apigatewayv2_stage", "websocket-api/stage");
    // Act
    const format = JSON.parse(stage.access_log_settings.format);
    // Assess
    expect(stage.name).toBe("${var.stage_name}");
    expect(stage.auto_deploy).toBe(true);
    expect(stage.access_log_settings.destination_arn).toBe(
      stack.tf.ref("aws_cloudwatch_log_group", "websocket-api/access-log-group", "arn"),
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
    const executionArn = stack.tf.ref("aws_apigatewayv2_api", "websocket-api/api", "execution_arn");
    const stageName = stack.tf.ref("aws_apigatewayv2_stage", "websocket-api/stage", "name");
    // Act
    // The $connect authorizer's permission is checked in test/deployment/auth.test.ts.
    const permissions = Object.values(stack.tf.all("aws_lambda_permission")).filter(
      (p) => p.principal === "apigateway.amazonaws.com" && !String(p.source_arn).includes("/authorizers/"),
    );
    // Assess
    expect(permissions.map((p) => p.source_arn).sort()).toEqual(
      ROUTE_KEYS.map((routeKey) => `${executionArn}/${stageName}/${routeKey}`).sort(),
    );
    for (const permission of permissions) {
      expect(permission.action).toBe("lambda:InvokeFunction");
      expect(permission.function_name).toBe(
        stack.tf.ref("aws_lambda_function", "handler/function", "function_name"),
      );
    }
  });
});
