/**
 * The AWS API actions Terraform's AWS provider calls to create, read, update and delete each kind of block the
 * stack declares: one entry per Terraform type, from which the deployer's IAM policy in docs/deploy.md and
 * docs/deployer-policy.json is derived. A type the stack starts to use without an entry here fails
 * `test/deployment/deploy-docs.test.ts`, so the policy cannot silently fall behind the stack.
 *
 * Sources: the Service Authorization Reference (https://docs.aws.amazon.com/service-authorization/latest/reference/)
 * for the action names, and the provider's resource documentation for the calls each resource makes (reads include
 * the tag and attribute reads of every refresh). Not tested against a live account: no AWS account is reachable
 * from where this is built; a denied call names the missing action in its error.
 */

/** What a block type needs. */
export interface DeployerActions {
  /** The actions, `service:Action`. */
  actions: readonly string[];
}

/** The kinds of block in a Terraform JSON file that call AWS. */
export type BlockKind = "resource" | "data" | "ephemeral";

/** Tagging and tag reads, which the provider calls on every taggable resource (default tags included). */
const tags = (service: string, read = "ListTagsForResource") => [
  `${service}:TagResource`,
  `${service}:UntagResource`,
  `${service}:${read}`,
];

/** Resources: every action the provider may call for the type (create, refresh, update in place, delete). */
export const RESOURCE_ACTIONS: Readonly<Record<string, DeployerActions>> = {
  aws_api_gateway_account: { actions: ["apigateway:GET", "apigateway:PATCH", "iam:PassRole"] },
  // API Gateway authorizes by HTTP verb on the resource path (/apis, /apis/{id}/routes, /tags/{arn}).
  aws_apigatewayv2_api: {
    actions: ["apigateway:GET", "apigateway:POST", "apigateway:PATCH", "apigateway:PUT", "apigateway:DELETE"],
  },
  aws_apigatewayv2_authorizer: {
    actions: ["apigateway:GET", "apigateway:POST", "apigateway:PATCH", "apigateway:DELETE"],
  },
  aws_apigatewayv2_integration: {
    actions: ["apigateway:GET", "apigateway:POST", "apigateway:PATCH", "apigateway:DELETE"],
  },
  aws_apigatewayv2_route: {
    actions: ["apigateway:GET", "apigateway:POST", "apigateway:PATCH", "apigateway:DELETE"],
  },
  aws_apigatewayv2_stage: {
    actions: ["apigateway:GET", "apigateway:POST", "apigateway:PATCH", "apigateway:DELETE"],
  },
  aws_cloudwatch_log_group: {
    actions: [
      "logs:CreateLogGroup",
      "logs:DeleteLogGroup",
      "logs:DescribeLogGroups",
      "logs:PutRetentionPolicy",
      "logs:DeleteRetentionPolicy",
      ...tags("logs"),
    ],
  },
  aws_cloudwatch_metric_alarm: {
    actions: [
      "cloudwatch:PutMetricAlarm",
      "cloudwatch:DescribeAlarms",
      "cloudwatch:DeleteAlarms",
      ...tags("cloudwatch"),
    ],
  },
  aws_iam_role: {
    actions: [
      "iam:CreateRole",
      "iam:GetRole",
      "iam:UpdateRole",
      "iam:UpdateAssumeRolePolicy",
      "iam:DeleteRole",
      "iam:ListRolePolicies",
      "iam:ListAttachedRolePolicies",
      "iam:ListInstanceProfilesForRole",
      "iam:TagRole",
      "iam:UntagRole",
    ],
  },
  aws_iam_role_policy: { actions: ["iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy"] },
  aws_iam_role_policy_attachment: {
    actions: ["iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:ListAttachedRolePolicies"],
  },
  aws_kms_alias: { actions: ["kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias", "kms:ListAliases"] },
  aws_kms_key: {
    actions: [
      "kms:CreateKey",
      "kms:DescribeKey",
      "kms:GetKeyPolicy",
      "kms:PutKeyPolicy",
      "kms:GetKeyRotationStatus",
      "kms:EnableKeyRotation",
      "kms:DisableKeyRotation",
      "kms:UpdateKeyDescription",
      "kms:ScheduleKeyDeletion",
      ...tags("kms", "ListResourceTags"),
    ],
  },
  aws_lambda_event_source_mapping: {
    actions: [
      "lambda:CreateEventSourceMapping",
      "lambda:GetEventSourceMapping",
      "lambda:UpdateEventSourceMapping",
      "lambda:DeleteEventSourceMapping",
      ...tags("lambda", "ListTags"),
    ],
  },
  aws_lambda_function: {
    actions: [
      "lambda:CreateFunction",
      "lambda:GetFunction",
      "lambda:GetFunctionConfiguration",
      "lambda:GetFunctionCodeSigningConfig",
      "lambda:ListVersionsByFunction",
      "lambda:UpdateFunctionCode",
      "lambda:UpdateFunctionConfiguration",
      "lambda:PutFunctionConcurrency",
      "lambda:DeleteFunctionConcurrency",
      "lambda:DeleteFunction",
      "iam:PassRole",
      ...tags("lambda", "ListTags"),
    ],
  },
  aws_lambda_function_event_invoke_config: {
    actions: [
      "lambda:PutFunctionEventInvokeConfig",
      "lambda:GetFunctionEventInvokeConfig",
      "lambda:UpdateFunctionEventInvokeConfig",
      "lambda:DeleteFunctionEventInvokeConfig",
    ],
  },
  aws_lambda_permission: { actions: ["lambda:AddPermission", "lambda:RemovePermission", "lambda:GetPolicy"] },
  aws_s3_bucket: {
    // A refresh reads every bucket sub-configuration (acl, cors, website, versioning, logging, ...); force_destroy
    // empties the bucket first.
    actions: [
      "s3:CreateBucket",
      "s3:DeleteBucket",
      "s3:ListBucket",
      "s3:ListBucketVersions",
      "s3:GetBucket*",
      "s3:GetAccelerateConfiguration",
      "s3:GetLifecycleConfiguration",
      "s3:GetReplicationConfiguration",
      "s3:GetEncryptionConfiguration",
      "s3:PutBucketTagging",
      "s3:DeleteObject",
      "s3:DeleteObjectVersion",
    ],
  },
  aws_s3_bucket_lifecycle_configuration: {
    actions: ["s3:PutLifecycleConfiguration", "s3:GetLifecycleConfiguration"],
  },
  aws_s3_bucket_ownership_controls: {
    actions: ["s3:PutBucketOwnershipControls", "s3:GetBucketOwnershipControls"],
  },
  aws_s3_bucket_policy: { actions: ["s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy"] },
  aws_s3_bucket_public_access_block: {
    actions: ["s3:PutBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock"],
  },
  aws_s3_bucket_server_side_encryption_configuration: {
    actions: ["s3:PutEncryptionConfiguration", "s3:GetEncryptionConfiguration"],
  },
  aws_secretsmanager_secret: {
    actions: [
      "secretsmanager:CreateSecret",
      "secretsmanager:DescribeSecret",
      "secretsmanager:UpdateSecret",
      "secretsmanager:GetResourcePolicy",
      "secretsmanager:DeleteSecret",
      "secretsmanager:TagResource",
      "secretsmanager:UntagResource",
    ],
  },
  aws_secretsmanager_secret_version: {
    actions: [
      "secretsmanager:PutSecretValue",
      "secretsmanager:DescribeSecret",
      "secretsmanager:ListSecretVersionIds",
      "secretsmanager:UpdateSecretVersionStage",
    ],
  },
  aws_sns_topic: {
    actions: [
      "sns:CreateTopic",
      "sns:GetTopicAttributes",
      "sns:SetTopicAttributes",
      "sns:DeleteTopic",
      ...tags("sns"),
    ],
  },
  aws_sns_topic_policy: { actions: ["sns:GetTopicAttributes", "sns:SetTopicAttributes"] },
  aws_sns_topic_subscription: {
    actions: [
      "sns:Subscribe",
      "sns:Unsubscribe",
      "sns:GetSubscriptionAttributes",
      "sns:SetSubscriptionAttributes",
    ],
  },
  aws_sqs_queue: {
    actions: [
      "sqs:CreateQueue",
      "sqs:GetQueueUrl",
      "sqs:GetQueueAttributes",
      "sqs:SetQueueAttributes",
      "sqs:DeleteQueue",
      "sqs:ListQueueTags",
      "sqs:TagQueue",
      "sqs:UntagQueue",
    ],
  },
};

/** Data sources: the reads a plan makes. `aws_partition` and `aws_iam_policy_document` are computed locally. */
const DATA_ACTIONS: Readonly<Record<string, DeployerActions>> = {
  aws_caller_identity: { actions: ["sts:GetCallerIdentity"] },
  aws_iam_policy_document: { actions: [] },
  aws_partition: { actions: [] },
};

/** Ephemeral resources: opened during plan and apply, never stored in the state. */
const EPHEMERAL_ACTIONS: Readonly<Record<string, DeployerActions>> = {
  aws_secretsmanager_random_password: { actions: ["secretsmanager:GetRandomPassword"] },
};

/** The table for one kind of block. */
export const ACTIONS_BY_KIND: Readonly<Record<BlockKind, Readonly<Record<string, DeployerActions>>>> = {
  resource: RESOURCE_ACTIONS,
  data: DATA_ACTIONS,
  ephemeral: EPHEMERAL_ACTIONS,
};

/** The provider itself asks who the caller is when it starts (the account id of every ARN it builds). */
export const PROVIDER_ACTIONS: readonly string[] = ["sts:GetCallerIdentity"];
