import { ApiGatewayAccount } from "@cdktn/provider-aws/lib/api-gateway-account/index.js";
import { DataAwsIamPolicyDocument } from "@cdktn/provider-aws/lib/data-aws-iam-policy-document/index.js";
import { IamRole } from "@cdktn/provider-aws/lib/iam-role/index.js";
import { IamRolePolicyAttachment } from "@cdktn/provider-aws/lib/iam-role-policy-attachment/index.js";
import { Fn, type IResolvable, Token } from "cdktn";
import { Construct } from "constructs";

/** Settings of {@link ApiGatewayLoggingRole}. */
export interface ApiGatewayLoggingRoleProps {
  /** `<app_name>-<workspace>`; the role is `<name>-apigw-cloudwatch`. */
  name: string;
  /** The `init_api_gw_logging_role` variable: create the role and register it, or do nothing. */
  enabled: IResolvable;
  /** The partition (`aws`, `aws-cn`, ...), for the managed policy's ARN. */
  partition: string;
  /** The owning account: API Gateway may assume the role only on this account's behalf (confused deputy). */
  accountId: string;
}

/**
 * The account-level CloudWatch Logs role of API Gateway, behind a flag as in the seed. Stage access logs fail
 * without it ("CloudWatch Logs role ARN must be set in account settings"), but it is one setting per account and
 * region: create it from one stack only.
 */
export class ApiGatewayLoggingRole extends Construct {
  /** The account setting (zero or one instance); the stage depends on it. */
  readonly account: ApiGatewayAccount;

  /**
   * @param scope - the stack
   * @param id - construct id
   * @param props - see {@link ApiGatewayLoggingRoleProps}
   */
  constructor(scope: Construct, id: string, props: ApiGatewayLoggingRoleProps) {
    super(scope, id);
    const count = Token.asNumber(Fn.conditional(props.enabled, 1, 0));

    const assumeRole = new DataAwsIamPolicyDocument(this, "assume-role", {
      statement: [
        {
          effect: "Allow",
          principals: [{ type: "Service", identifiers: ["apigateway.amazonaws.com"] }],
          actions: ["sts:AssumeRole"],
          condition: [{ test: "StringEquals", variable: "aws:SourceAccount", values: [props.accountId] }],
        },
      ],
    });
    const role = new IamRole(this, "role", {
      count,
      name: `${props.name}-apigw-cloudwatch`,
      assumeRolePolicy: assumeRole.json,
    });
    const pushToCloudWatch = new IamRolePolicyAttachment(this, "push-to-cloudwatch", {
      count,
      role: `\${${role.fqn}[0].name}`,
      policyArn: `arn:${props.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs`,
    });
    this.account = new ApiGatewayAccount(this, "account", {
      count,
      cloudwatchRoleArn: `\${${role.fqn}[0].arn}`,
      // API Gateway checks the role's permissions when the setting is written.
      dependsOn: [pushToCloudWatch],
    });
  }
}
