import { DataAwsIamPolicyDocument } from "@cdktn/provider-aws/lib/data-aws-iam-policy-document/index.js";
import type { LambdaFunction } from "@cdktn/provider-aws/lib/lambda-function/index.js";
import { LambdaPermission } from "@cdktn/provider-aws/lib/lambda-permission/index.js";
import { SnsTopic } from "@cdktn/provider-aws/lib/sns-topic/index.js";
import { SnsTopicPolicy } from "@cdktn/provider-aws/lib/sns-topic-policy/index.js";
import { SnsTopicSubscription } from "@cdktn/provider-aws/lib/sns-topic-subscription/index.js";
import { Fn, Token } from "cdktn";
import { Construct } from "constructs";

/** Settings of {@link InputTopic}. */
export interface InputTopicProps {
  /** `<app_name>-<workspace>`; the topic is `<name>-input`. */
  name: string;
  /** The owning account's root principal ARN (`arn:<partition>:iam::<account>:root`). */
  accountRootArn: string;
  /** More IAM principal ARNs allowed to publish. */
  publisherPrincipals: string[];
  /** The key that encrypts the topic at rest (`TopicKey`; default AWS's `alias/aws/sns`). */
  kmsMasterKeyId?: string;
}

/** The SNS topic external publishers publish to; every message is fanned out to every connected client. */
export class InputTopic extends Construct {
  /** The topic. */
  readonly topic: SnsTopic;

  /**
   * @param scope - the stack
   * @param id - construct id
   * @param props - see {@link InputTopicProps}
   */
  constructor(scope: Construct, id: string, props: InputTopicProps) {
    super(scope, id);
    this.topic = new SnsTopic(this, "topic", {
      name: `${props.name}-input`,
      kmsMasterKeyId: props.kmsMasterKeyId ?? "alias/aws/sns",
    });

    // This policy replaces SNS's default one, which lets the owning account's principals manage the topic too; they
    // keep that through their own IAM policies (same-account access needs either side to allow it).
    const policy = new DataAwsIamPolicyDocument(this, "publishers", {
      statement: [
        {
          sid: "PublishFromOwnerAndListedPrincipals",
          effect: "Allow",
          principals: [
            {
              type: "AWS",
              identifiers: Token.asList(Fn.concat([[props.accountRootArn], props.publisherPrincipals])),
            },
          ],
          actions: ["sns:Publish"],
          resources: [this.topic.arn],
        },
        {
          sid: "DenyInsecureTransport",
          effect: "Deny",
          principals: [{ type: "*", identifiers: ["*"] }],
          actions: ["sns:Publish"],
          resources: [this.topic.arn],
          condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
        },
      ],
    });
    new SnsTopicPolicy(this, "policy", { arn: this.topic.arn, policy: policy.json });
  }

  /**
   * Subscribes the function to the topic and lets SNS invoke it, from this topic only.
   * @param fn - the handler function
   */
  deliverTo(fn: LambdaFunction): void {
    new LambdaPermission(this, "invoke-permission", {
      statementId: "AllowInvokeFromInputTopic",
      action: "lambda:InvokeFunction",
      functionName: fn.functionName,
      principal: "sns.amazonaws.com",
      sourceArn: this.topic.arn,
    });
    new SnsTopicSubscription(this, "subscription", {
      topicArn: this.topic.arn,
      protocol: "lambda",
      endpoint: fn.arn,
    });
  }
}
