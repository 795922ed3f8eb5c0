import { Apigatewayv2Api } from "@cdktn/provider-aws/lib/apigatewayv2-api/index.js";
import { Apigatewayv2Integration } from "@cdktn/provider-aws/lib/apigatewayv2-integration/index.js";
import { Apigatewayv2Route } from "@cdktn/provider-aws/lib/apigatewayv2-route/index.js";
import { Apigatewayv2Stage } from "@cdktn/provider-aws/lib/apigatewayv2-stage/index.js";
import { CloudwatchLogGroup } from "@cdktn/provider-aws/lib/cloudwatch-log-group/index.js";
import type { LambdaFunction } from "@cdktn/provider-aws/lib/lambda-function/index.js";
import { LambdaPermission } from "@cdktn/provider-aws/lib/lambda-permission/index.js";
import { Fn, type ITerraformDependable } from "cdktn";
import { Construct } from "constructs";
import { ACCESS_LOG_FORMAT, PUBLISHING_ACTIONS, ROUTE_KEYS } from "../../src/contract/index.js";

/** Settings of {@link WebSocketApi}. */
export interface WebSocketApiProps {
  /** `<app_name>-<workspace>`: the API's name. */
  name: string;
  /** The stage name. */
  stageName: string;
  /** Retention of the access log group, in days. */
  logRetentionDays: number;
  /** Default route throttling: burst. */
  throttlingBurstLimit: number;
  /** Default route throttling: requests per second. */
  throttlingRateLimit: number;
  /** What the stage must wait for (the account's CloudWatch role, when this stack creates it). */
  stageDependsOn: ITerraformDependable[];
  /** Throttle of the publishing routes (broadcast, publish), lower than the default: each fans out N times. */
  publishThrottle?: { rateLimit: number; burstLimit: number };
}

/** The WebSocket API with its stage and access logs; {@link WebSocketApi.routeTo} wires the routes to a function. */
export class WebSocketApi extends Construct {
  /** The API. */
  readonly api: Apigatewayv2Api;
  /** The stage (auto-deployed). */
  readonly stage: Apigatewayv2Stage;
  /** The stage's access log group. */
  readonly logGroup: CloudwatchLogGroup;
  /** The @connections base URL of the Management API, `https://<api>.execute-api.<region>.amazonaws.com/<stage>`. */
  readonly managementEndpoint: string;
  /** ARN pattern of this stage's PostToConnection calls (SST's websocket component scopes it the same way). */
  readonly manageConnectionsArn: string;
  private readonly publishThrottle: WebSocketApiProps["publishThrottle"];

  /**
   * @param scope - the stack
   * @param id - construct id
   * @param props - see {@link WebSocketApiProps}
   */
  constructor(scope: Construct, id: string, props: WebSocketApiProps) {
    super(scope, id);
    this.publishThrottle = props.publishThrottle;

    this.api = new Apigatewayv2Api(this, "api", {
      name: props.name,
      protocolType: "WEBSOCKET",
      routeSelectionExpression: "$request.body.action",
    });
    this.logGroup = new CloudwatchLogGroup(this, "access-log-group", {
      name: `/aws/apigateway/${props.name}/access`,
      retentionInDays: props.logRetentionDays,
    });
    this.stage = new Apigatewayv2Stage(this, "stage", {
      apiId: this.api.id,
      name: props.stageName,
      autoDeploy: true,
      accessLogSettings: { destinationArn: this.logGroup.arn, format: JSON.stringify(ACCESS_LOG_FORMAT) },
      defaultRouteSettings: {
        throttlingBurstLimit: props.throttlingBurstLimit,
        throttlingRateLimit: props.throttlingRateLimit,
      },
      dependsOn: props.stageDependsOn,
    });

    // api_endpoint is wss://<api>.execute-api.<region>.amazonaws.com; the Management API is its https twin.
    // The stage's name from the variable, not from the stage resource: the stage waits for the routes (route
    // settings), the routes for the function, so the function's environment and policy must not wait for the stage.
    this.managementEndpoint = `${Fn.replace(this.api.apiEndpoint, "wss://", "https://")}/${props.stageName}`;
    this.manageConnectionsArn = `${this.api.executionArn}/${props.stageName}/POST/@connections/*`;
  }

  /**
   * Routes every route key to the function through one Lambda proxy integration, and lets API Gateway invoke it
   * for exactly these routes of this stage.
   * @param fn - the handler function
   * @param connectAuth - the `$connect` route's authorization (`ConnectAuthorizer.route`); none: open
   */
  routeTo(fn: LambdaFunction, connectAuth?: { authorizationType: string; authorizerId: string }): void {
    const integration = new Apigatewayv2Integration(this, "integration", {
      apiId: this.api.id,
      integrationType: "AWS_PROXY",
      integrationMethod: "POST",
      integrationUri: fn.invokeArn,
    });
    const routes: string[] = [];
    for (const routeKey of ROUTE_KEYS) {
      const name = routeKey.replace("$", "");
      const route = new Apigatewayv2Route(this, `route-${name}`, {
        apiId: this.api.id,
        routeKey,
        target: `integrations/${integration.id}`,
        ...(routeKey === "$connect" && connectAuth ? connectAuth : {}),
      });
      routes.push(`${route.terraformResourceType}.${route.friendlyUniqueId}`);
      new LambdaPermission(this, `invoke-permission-${name}`, {
        statementId: `AllowInvokeFromRoute-${name}`,
        action: "lambda:InvokeFunction",
        functionName: fn.functionName,
        principal: "apigateway.amazonaws.com",
        sourceArn: `${this.api.executionArn}/${this.stage.name}/${routeKey}`,
      });
    }
    // The publishing routes get their own, lower throttle. Route settings name existing routes,
    // so the stage waits for them.
    if (this.publishThrottle) {
      const { rateLimit, burstLimit } = this.publishThrottle;
      this.stage.putRouteSettings(
        ROUTE_KEYS.filter((key) => (PUBLISHING_ACTIONS as readonly string[]).includes(key)).map(
          (routeKey) => ({
            routeKey,
            throttlingRateLimit: rateLimit,
            throttlingBurstLimit: burstLimit,
          }),
        ),
      );
      this.stage.dependsOn = [...(this.stage.dependsOn ?? []), ...routes];
    }
  }
}
