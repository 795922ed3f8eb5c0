import { CloudwatchLogGroup } from "@cdktn/provider-aws/lib/cloudwatch-log-group/index.js";
import { DataAwsIamPolicyDocument } from "@cdktn/provider-aws/lib/data-aws-iam-policy-document/index.js";
import { IamRole } from "@cdktn/provider-aws/lib/iam-role/index.js";
import { IamRolePolicy } from "@cdktn/provider-aws/lib/iam-role-policy/index.js";
import { LambdaFunction } from "@cdktn/provider-aws/lib/lambda-function/index.js";
import { AssetType, TerraformAsset } from "cdktn";
import { Construct } from "constructs";
import {
  CHANNEL_HISTORY_PREFIX,
  CHANNEL_MEMBERS_PREFIX,
  CONNECTION_CHANNELS_PREFIX,
  LAMBDA_HANDLER,
  LAMBDA_RUNTIME,
} from "../../src/contract/index.js";

/**
 * The channels' membership prefixes, written and deleted: a publish lists one channel's members, a cleanup one
 * connection's channels.
 */
const MEMBERSHIP_PREFIXES = [CHANNEL_MEMBERS_PREFIX, CONNECTION_CHANNELS_PREFIX];

/** Settings of {@link HandlerFunction}. */
export interface HandlerFunctionProps {
  /** `<app_name>-<workspace>`: the function's name. */
  name: string;
  /** The deployment package: absolute path of the zip and its base64 SHA-256. */
  bundle: { zipFile: string; sourceCodeHash: string };
  /** Memory in MB. */
  memoryMb: number;
  /** Timeout in seconds. */
  timeoutSeconds: number;
  /** Retention of the log group, in days. */
  logRetentionDays: number;
  /** The handler's environment (the names `src/app/config.ts` reads). */
  environment: Record<string, string>;
  /** The bucket's ARN, for ListBucket. */
  bucketArn: string;
  /** The bucket's key prefix (no trailing slash), for ListBucket's `s3:prefix` condition. */
  keyPrefix: string;
  /** ARN pattern of the connection keys, for Get/Put/DeleteObject. */
  keysArn: string;
  /** ARN pattern of this API stage's POST @connections calls, for `execute-api:ManageConnections`. */
  manageConnectionsArn: string;
  /** Reserved concurrency (-1: none), so a flood cannot take the account's other functions' share (docs/security.md). */
  reservedConcurrency?: number;
}

/** The Lambda that handles every event, with its log group and a role scoped to exactly what it touches. */
export class HandlerFunction extends Construct {
  /** The function. */
  readonly function: LambdaFunction;
  /** Its log group, `/aws/lambda/<name>`. */
  readonly logGroup: CloudwatchLogGroup;
  /** Its execution role (other constructs attach their own inline policies to it). */
  readonly role: IamRole;

  /**
   * @param scope - the stack
   * @param id - construct id
   * @param props - see {@link HandlerFunctionProps}
   */
  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    super(scope, id);

    // Created here, not by Lambda on first write, so it has a retention and the role needs no CreateLogGroup.
    this.logGroup = new CloudwatchLogGroup(this, "log-group", {
      name: `/aws/lambda/${props.name}`,
      retentionInDays: props.logRetentionDays,
    });

    const assumeRole = new DataAwsIamPolicyDocument(this, "assume-role", {
      statement: [
        {
          effect: "Allow",
          principals: [{ type: "Service", identifiers: ["lambda.amazonaws.com"] }],
          actions: ["sts:AssumeRole"],
        },
      ],
    });
    const role = new IamRole(this, "role", {
      name: `${props.name}-lambda`,
      assumeRolePolicy: assumeRole.json,
    });
    this.role = role;

    const permissions = new DataAwsIamPolicyDocument(this, "permissions", {
      statement: [
        {
          sid: "ConnectionKeys",
          effect: "Allow",
          // Only what the handler calls: PutObject, DeleteObject and DeleteObjects (authorised per key as
          // s3:DeleteObject).
          actions: ["s3:PutObject", "s3:DeleteObject"],
          // The connection keys and the channel membership keys (the storage layout of src/contract/storage.ts).
          resources: [
            props.keysArn,
            ...MEMBERSHIP_PREFIXES.map((prefix) => `${props.bucketArn}/${prefix}/*`),
          ],
        },
        {
          sid: "ChannelHistory",
          effect: "Allow",
          // A message is written once at its position (If-None-Match needs no more than PutObject) and read back for
          // a client that catches up; never deleted by the handler: the lifecycle rule expires it.
          actions: ["s3:PutObject", "s3:GetObject"],
          resources: [`${props.bucketArn}/${CHANNEL_HISTORY_PREFIX}/*`],
        },
        {
          sid: "ListConnectionKeys",
          effect: "Allow",
          actions: ["s3:ListBucket"],
          resources: [props.bucketArn],
          condition: [
            {
              test: "StringLike",
              variable: "s3:prefix",
              values: [
                `${props.keyPrefix}/*`,
                ...[...MEMBERSHIP_PREFIXES, CHANNEL_HISTORY_PREFIX].map((prefix) => `${prefix}/*`),
              ],
            },
          ],
        },
        {
          sid: "PostToConnections",
          effect: "Allow",
          actions: ["execute-api:ManageConnections"],
          resources: [props.manageConnectionsArn],
        },
        {
          sid: "OwnLogGroup",
          effect: "Allow",
          actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
          resources: [`${this.logGroup.arn}:log-stream:*`],
        },
      ],
    });
    const rolePolicy = new IamRolePolicy(this, "role-policy", {
      role: role.id,
      name: "fanout-handler",
      policy: permissions.json,
    });

    // Copied into the stack folder (assets/<id>/<hash>/lambda.zip) and referenced by a relative path, so the
    // folder is self-contained and can be moved; Terraform resolves the path from its working directory.
    const code = new TerraformAsset(this, "code", { path: props.bundle.zipFile, type: AssetType.FILE });

    this.function = new LambdaFunction(this, "function", {
      functionName: props.name,
      role: role.arn,
      runtime: LAMBDA_RUNTIME,
      architectures: ["arm64"],
      handler: LAMBDA_HANDLER,
      filename: code.path,
      sourceCodeHash: props.bundle.sourceCodeHash,
      memorySize: props.memoryMb,
      timeout: props.timeoutSeconds,
      reservedConcurrentExecutions: props.reservedConcurrency,
      environment: { variables: props.environment },
      loggingConfig: { logFormat: "Text", logGroup: this.logGroup.name },
      // The first invocation must find its permissions and its log group in place.
      dependsOn: [this.logGroup, rolePolicy],
    });
  }
}
