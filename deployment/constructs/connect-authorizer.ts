import { Apigatewayv2Authorizer } from "@cdktn/provider-aws/lib/apigatewayv2-authorizer/index.js";
import type { LambdaFunction } from "@cdktn/provider-aws/lib/lambda-function/index.js";
import { LambdaPermission } from "@cdktn/provider-aws/lib/lambda-permission/index.js";
import { Fn, Token } from "cdktn";
import { Construct } from "constructs";
import { firstOf } from "./counted.js";

/** Settings of {@link ConnectAuthorizer}. */
export interface ConnectAuthorizerProps {
  /** `<app_name>-<workspace>`: the authorizer's name. */
  name: string;
  /** The API's id. */
  apiId: string;
  /** The API's execution ARN (`arn:aws:execute-api:<region>:<account>:<api id>`). */
  executionArn: string;
  /** The function that answers the authorizer (the handler: `isAuthorizerEvent` is tested first). */
  fn: LambdaFunction;
  /** `auth_mode == "token"`: only then is there an authorizer. */
  enabled: unknown;
}

/**
 * The `$connect` REQUEST authorizer, in token mode only. Its identity source is the `token` query parameter: API
 * Gateway refuses a handshake without one (401) before invoking anything. WebSocket authorizer results are not
 * cached (the TTL setting does not apply to WebSocket APIs), so every connection runs it once; its context then
 * reaches every later event of the connection.
 */
export class ConnectAuthorizer extends Construct {
  /** What the `$connect` route sets: `CUSTOM` with the authorizer's id, or `NONE` in open mode. */
  readonly route: { authorizationType: string; authorizerId: string };

  /**
   * @param scope - the WebSocket API construct
   * @param id - construct id
   * @param props - see {@link ConnectAuthorizerProps}
   */
  constructor(scope: Construct, id: string, props: ConnectAuthorizerProps) {
    super(scope, id);
    const count = Token.asNumber(Fn.conditional(props.enabled, 1, 0));
    const authorizer = new Apigatewayv2Authorizer(this, "authorizer", {
      count,
      apiId: props.apiId,
      name: `${props.name}-connect`,
      authorizerType: "REQUEST",
      authorizerUri: props.fn.invokeArn,
      identitySources: ["route.request.querystring.token"],
    });
    const authorizerId = firstOf(authorizer, "id");
    new LambdaPermission(this, "invoke-permission", {
      count,
      statementId: "AllowInvokeFromConnectAuthorizer",
      action: "lambda:InvokeFunction",
      functionName: props.fn.functionName,
      principal: "apigateway.amazonaws.com",
      // Exactly this authorizer of this API.
      sourceArn: `${props.executionArn}/authorizers/${authorizerId}`,
    });
    this.route = {
      authorizationType: Token.asString(Fn.conditional(props.enabled, "CUSTOM", "NONE")),
      // null leaves the argument unset in open mode.
      authorizerId: Token.asString(Fn.conditional(props.enabled, authorizerId, Token.nullValue())),
    };
  }
}
