import { DataAwsIamPolicyDocument } from "@cdktn/provider-aws/lib/data-aws-iam-policy-document/index.js";
import { KmsAlias } from "@cdktn/provider-aws/lib/kms-alias/index.js";
import { KmsKey } from "@cdktn/provider-aws/lib/kms-key/index.js";
import { Fn, Op, Token } from "cdktn";
import { Construct } from "constructs";
import { firstOf } from "./counted.js";

/** Settings of {@link TopicKey}. */
export interface TopicKeyProps {
  /** `<app_name>-<workspace>`; the alias is `alias/<name>-input-topic`. */
  name: string;
  /** The owning account's root principal ARN. */
  accountRootArn: string;
  /** The listed publishers of other accounts (`sns_publisher_principals`). */
  publisherPrincipals: string[];
  /** The stack's region, for the `kms:ViaService` condition. */
  region: string;
}

/**
 * The key that encrypts the input topic at rest. AWS's managed key `alias/aws/sns` by default; its key policy cannot
 * name other accounts, so when publishers are listed a customer managed key is created that lets them encrypt
 * (publishing to an encrypted topic needs `kms:GenerateDataKey*` and `kms:Decrypt` on its key).
 */
export class TopicKey extends Construct {
  /** The topic's `kms_master_key_id`. */
  readonly keyId: string;

  /**
   * @param scope - the stack
   * @param id - construct id
   * @param props - see {@link TopicKeyProps}
   */
  constructor(scope: Construct, id: string, props: TopicKeyProps) {
    super(scope, id);
    const listed = Op.gt(Fn.lengthOf(props.publisherPrincipals), 0);
    const count = Token.asNumber(Fn.conditional(listed, 1, 0));
    const policy = new DataAwsIamPolicyDocument(this, "policy", {
      statement: [
        {
          sid: "OwnerAdministers",
          effect: "Allow",
          principals: [{ type: "AWS", identifiers: [props.accountRootArn] }],
          actions: ["kms:*"],
          resources: ["*"],
        },
        {
          sid: "ListedPublishersEncrypt",
          effect: "Allow",
          principals: [{ type: "AWS", identifiers: props.publisherPrincipals }],
          actions: ["kms:GenerateDataKey*", "kms:Decrypt"],
          resources: ["*"],
          condition: [
            {
              test: "StringEquals",
              variable: "kms:ViaService",
              values: [`sns.${props.region}.amazonaws.com`],
            },
          ],
        },
      ],
    });
    const key = new KmsKey(this, "key", {
      count,
      description: `${props.name} input topic: lets the listed publishers of other accounts publish`,
      enableKeyRotation: true,
      deletionWindowInDays: 7,
      policy: policy.json,
    });
    new KmsAlias(this, "alias", {
      count,
      name: `alias/${props.name}-input-topic`,
      targetKeyId: firstOf(key, "key_id"),
    });
    this.keyId = Token.asString(Fn.conditional(listed, firstOf(key, "arn"), "alias/aws/sns"));
  }
}
