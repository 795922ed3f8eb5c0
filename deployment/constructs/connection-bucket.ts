import { DataAwsIamPolicyDocument } from "@cdktn/provider-aws/lib/data-aws-iam-policy-document/index.js";
import { S3Bucket } from "@cdktn/provider-aws/lib/s3-bucket/index.js";
import { S3BucketLifecycleConfiguration } from "@cdktn/provider-aws/lib/s3-bucket-lifecycle-configuration/index.js";
import { S3BucketOwnershipControls } from "@cdktn/provider-aws/lib/s3-bucket-ownership-controls/index.js";
import { S3BucketPolicy } from "@cdktn/provider-aws/lib/s3-bucket-policy/index.js";
import { S3BucketPublicAccessBlock } from "@cdktn/provider-aws/lib/s3-bucket-public-access-block/index.js";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktn/provider-aws/lib/s3-bucket-server-side-encryption-configuration/index.js";
import { Fn, type IResolvable } from "cdktn";
import { Construct } from "constructs";
import {
  CHANNEL_HISTORY_PREFIX,
  CHANNEL_MEMBERS_PREFIX,
  CONNECTION_CHANNELS_PREFIX,
} from "../../src/contract/index.js";

/** Settings of {@link ConnectionBucket}. */
export interface ConnectionBucketProps {
  /** `<app_name>-<workspace>`; the bucket gets a unique name starting with it. */
  name: string;
  /** Key prefix of the connection store (no trailing slash). */
  prefix: string;
  /** Whether `terraform destroy` may delete the bucket with keys still in it. */
  forceDestroy: IResolvable;
  /** Days the channel history keeps a message (0: history off). */
  historyRetentionDays: number;
}

/**
 * The connection store: a private, encrypted, TLS-only bucket holding one empty object per live connection, with
 * a lifecycle rule that sweeps the keys of connections whose `$disconnect` never came. The channel memberships and
 * the channel history live in it too, each under its own prefix with its own rule.
 */
export class ConnectionBucket extends Construct {
  /** The bucket. */
  readonly bucket: S3Bucket;
  /** ARN pattern of the connection keys, `<bucket arn>/<prefix>/*`: what the Lambda may read, write and delete. */
  readonly keysArn: string;

  /**
   * @param scope - the stack
   * @param id - construct id
   * @param props - see {@link ConnectionBucketProps}
   */
  constructor(scope: Construct, id: string, props: ConnectionBucketProps) {
    super(scope, id);

    this.bucket = new S3Bucket(this, "bucket", {
      // Bucket names are global, at most 63 characters of [a-z0-9.-]: a prefix (at most 37) plus a generated
      // suffix. Workspace names may hold capitals and underscores, which buckets refuse.
      bucketPrefix: `${Fn.replace(Fn.lower(Fn.substr(props.name, 0, 36)), "/[^a-z0-9-]/", "-")}-`,
      forceDestroy: props.forceDestroy,
    });
    this.keysArn = `${this.bucket.arn}/${props.prefix}/*`;

    const publicAccessBlock = new S3BucketPublicAccessBlock(this, "public-access-block", {
      bucket: this.bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, "ownership", {
      bucket: this.bucket.id,
      rule: { objectOwnership: "BucketOwnerEnforced" },
    });
    new S3BucketServerSideEncryptionConfigurationA(this, "encryption", {
      bucket: this.bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" }, bucketKeyEnabled: true }],
    });

    const tlsOnly = new DataAwsIamPolicyDocument(this, "tls-only", {
      statement: [
        {
          sid: "DenyInsecureTransport",
          effect: "Deny",
          principals: [{ type: "*", identifiers: ["*"] }],
          actions: ["s3:*"],
          resources: [this.bucket.arn, `${this.bucket.arn}/*`],
          condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
        },
      ],
    });
    new S3BucketPolicy(this, "policy", {
      bucket: this.bucket.id,
      policy: tlsOnly.json,
      // S3 rejects a bucket policy while the public access block is being written ("conflicting conditional
      // operation"), so the policy waits for it.
      dependsOn: [publicAccessBlock],
    });

    new S3BucketLifecycleConfiguration(this, "lifecycle", {
      bucket: this.bucket.id,
      rule: [
        {
          id: "expire-missed-disconnects",
          status: "Enabled",
          filter: [{ prefix: `${props.prefix}/` }],
          // No connection outlives 2 hours (API Gateway's limit) and $disconnect is best effort: a key older than
          // a day (the shortest expiration S3 offers) names a connection that is certainly gone.
          expiration: [{ days: 1 }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
        },
        // Channel memberships (the storage layout of src/contract/storage.ts) die with their connection for the same reason: a membership
        // key older than a day belongs to a connection that is gone, whose $disconnect or 410 cleanup never came.
        // One rule per prefix: a lifecycle filter takes a single prefix.
        ...[CHANNEL_MEMBERS_PREFIX, CONNECTION_CHANNELS_PREFIX].map((prefix) => ({
          id: `expire-stale-${prefix}`,
          status: "Enabled",
          filter: [{ prefix: `${prefix}/` }],
          expiration: [{ days: 1 }],
        })),
        // The channel history (src/stores/history.ts): what a client that reconnects can catch up on. With history
        // off the rule stays, at a day, so that what an earlier retention kept still goes.
        {
          id: "expire-channel-history",
          status: "Enabled",
          filter: [{ prefix: `${CHANNEL_HISTORY_PREFIX}/` }],
          expiration: [{ days: Fn.max([props.historyRetentionDays, 1]) }],
        },
      ],
    });
  }
}
