/**
 * What the stack costs while nobody is connected and nothing is published: the block types that bill by the month
 * whatever the traffic, with their us-east-1 list prices. The generated cost table multiplies these by what a
 * deployment with the defaults creates, so a new alarm or secret shows up in the docs' figure.
 */

/** When the prices below were read from the pages they cite. */
export const PRICES_READ = "December 2026";

/** A monthly charge of one block type. */
export interface MonthlyPrice {
  /** What is billed, for the table. */
  what: string;
  /** US dollars a month per block. */
  usdPerMonth: number;
  /** The price as the pricing page states it, and what is free. */
  note: string;
  /** The pricing page. */
  source: string;
}

/** Block types that bill by the month, by Terraform type. */
export const MONTHLY_PRICES: Readonly<Record<string, MonthlyPrice>> = {
  aws_secretsmanager_secret: {
    what: "the token secret",
    usdPerMonth: 0.4,
    note: "$0.40 per secret-month, plus $0.05 per 10,000 reads (one per cold start)",
    source: "https://aws.amazon.com/secrets-manager/pricing/",
  },
  aws_cloudwatch_metric_alarm: {
    what: "dead-letter alarms",
    usdPerMonth: 0.1,
    note: "$0.10 per standard-resolution alarm-month; an account's first 10 are free",
    source: "https://aws.amazon.com/cloudwatch/pricing/",
  },
  aws_kms_key: {
    what: "the input topic's key",
    usdPerMonth: 1,
    note: "$1 per key-month (only with sns_publisher_principals: other accounts need a key they may use)",
    source: "https://aws.amazon.com/kms/pricing/",
  },
};

/**
 * Charges at rest that depend on use rather than on a block count, stated with their assumptions; every figure
 * here is an estimate, labelled so in the docs.
 */
export const USAGE_AT_REST: readonly { what: string; estimate: string; source: string }[] = [
  {
    what: "log storage (two log groups)",
    estimate:
      "$0.03 per GB-month stored, kept log_retention_days (7): a few hundred bytes per invocation, so cents at most",
    source: "https://aws.amazon.com/cloudwatch/pricing/",
  },
  {
    what: "the shard queue's polling",
    estimate:
      "Lambda long-polls an idle SQS queue for its event source mapping: about 5 pollers x one 20 s poll, some " +
      "650,000 requests a month, inside SQS's free million, else about $0.26 ($0.40 per million)",
    source: "https://aws.amazon.com/sqs/pricing/",
  },
  {
    what: "the connection bucket",
    estimate: "its keys are empty objects that expire after a day: under a cent",
    source: "https://aws.amazon.com/s3/pricing/",
  },
];
