// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the expected values are Terraform expressions.
import { describe, expect, it } from "vitest";
import { synthesizedStack } from "../support/synth.js";

const stack = synthesizedStack();

describe("connection bucket", () => {
  it("blocks every kind of public access", () => {
    // Prepare / Act
    const block = stack.tf.get("aws_s3_bucket_public_access_block", "connection-bucket/public-access-block");
    // Assess
    expect(block).toMatchObject({
      bucket: stack.tf.ref("aws_s3_bucket", "connection-bucket/bucket", "id"),
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
  });

  it("encrypts at rest and disables ACLs", () => {
    // Prepare / Act
    const encryption = stack.tf.get(
      "aws_s3_bucket_server_side_encryption_configuration",
      "connection-bucket/encryption",
    );
    const ownership = stack.tf.get("aws_s3_bucket_ownership_controls", "connection-bucket/ownership");
    // Assess
    expect(encryption.rule[0].apply_server_side_encryption_by_default).toEqual({ sse_algorithm: "AES256" });
    expect(ownership.rule).toEqual({ object_ownership: "BucketOwnerEnforced" });
  });

  it("denies every request that does not use TLS", () => {
    // Prepare
    const bucketArn = stack.tf.ref("aws_s3_bucket", "connection-bucket/bucket", "arn");
    // Act
    const policy = stack.tf.get("aws_s3_bucket_policy", "connection-bucket/policy");
    // Assess
    expect(policy.policy).toBe(
      stack.tf.ref("aws_iam_policy_document", "connection-bucket/tls-only", "json", "data"),
    );
    expect(stack.tf.statements("connection-bucket/tls-only")).toEqual([
      {
        sid: "DenyInsecureTransport",
        effect: "Deny",
        principals: [{ type: "*", identifiers: ["*"] }],
        actions: ["s3:*"],
        resources: [bucketArn, `${bucketArn}/*`],
        condition: [{ test: "Bool", variable: "aws:SecureTransport", values: ["false"] }],
      },
    ]);
  });

  it("expires connection keys after 1 day", () => {
    // Prepare / Act
    const rules = stack.tf.get("aws_s3_bucket_lifecycle_configuration", "connection-bucket/lifecycle").rule;
    // Assess
    expect(rules).toHaveLength(4);
    expect(rules[0]).toMatchObject({
      status: "Enabled",
      filter: [{ prefix: "${var.connection_prefix}/" }],
      expiration: [{ days: 1 }],
    });
  });

  it("expires channel membership keys after 1 day, both the members and the reverse index", () => {
    // Prepare / Act
    const rules = stack.tf.get("aws_s3_bucket_lifecycle_configuration", "connection-bucket/lifecycle").rule;
    // Assess
    expect(rules.slice(1)).toMatchObject([
      {
        id: "expire-stale-channel-members",
        status: "Enabled",
        filter: [{ prefix: "channel-members/" }],
        expiration: [{ days: 1 }],
      },
      {
        id: "expire-stale-connection-channels",
        status: "Enabled",
        filter: [{ prefix: "connection-channels/" }],
        expiration: [{ days: 1 }],
      },
      expect.anything(),
    ]);
  });

  it("expires the channel history after history_retention_days, and after a day when that is 0 (off)", () => {
    // Prepare / Act
    const rules = stack.tf.get("aws_s3_bucket_lifecycle_configuration", "connection-bucket/lifecycle").rule;
    // Assess
    expect(rules[3]).toEqual({
      id: "expire-channel-history",
      status: "Enabled",
      filter: [{ prefix: "channel-history/" }],
      expiration: [{ days: "${max(var.history_retention_days, 1)}" }],
    });
  });

  it("takes force_destroy from a variable", () => {
    // Prepare / Act
    const bucket = stack.tf.get("aws_s3_bucket", "connection-bucket/bucket");
    // Assess
    expect(bucket.force_destroy).toBe("${var.force_destroy}");
  });
});
