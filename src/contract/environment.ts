/**
 * The Lambda's environment: the variables' names, their defaults, and the settings of the deployment that the
 * local stack and the benchmark mirror. The Lambda reads them in `src/app/config.ts`; `deployment/` sets them.
 */

/**
 * The Lambda's environment variables, by what they configure (read by `src/app/config.ts`, set by the stack, the
 * local stack and the benchmark). The defaults below are what `src/app/config.ts` uses when one is unset.
 */
export const LAMBDA_ENV = {
  /** The S3 bucket of the connection store. */
  connectionBucket: "CONNECTION_BUCKET",
  /** The key prefix of the connection store. */
  connectionPrefix: "CONNECTION_PREFIX",
  /** The @connections base URL; SNS deliveries need it. */
  managementEndpoint: "MANAGEMENT_ENDPOINT",
  /** PostToConnection calls in flight per fan-out. */
  fanoutConcurrency: "FANOUT_CONCURRENCY",
  /** The per-call timeout of PostToConnection, in milliseconds. */
  fanoutSendTimeoutMs: "FANOUT_SEND_TIMEOUT_MS",
  /** Path-style S3 URLs (local emulators). */
  s3ForcePathStyle: "S3_FORCE_PATH_STYLE",
  /** Powertools' log level. */
  logLevel: "POWERTOOLS_LOG_LEVEL",
  /** Powertools' service name, the `service` key of every log line. */
  serviceName: "POWERTOOLS_SERVICE_NAME",
  // --- sharded fan-out, see docs/scaling.md ---
  /** The shard queue (SQS) of large fan-outs; unset, every fan-out runs in the invocation that asked for it. */
  shardQueueUrl: "SHARD_QUEUE_URL",
  /** Shards of a large fan-out (1 to 256): each lists and sends to 256/K of the store's buckets. */
  fanoutShards: "FANOUT_SHARDS",
  /** A fan-out with at most this many recipients runs in the invocation that asked for it (no queue hop). */
  fanoutInlineMax: "FANOUT_INLINE_MAX",
  /** Sends a second per shard invocation (the account's share divided by the shards' maximum concurrency). */
  fanoutShardRate: "FANOUT_SHARD_RATE",
  /** Sends a shard may make at once after idling: its share of the account throttle's burst. */
  fanoutShardBurst: "FANOUT_SHARD_BURST",
  /**
   * A shard job redelivered (a worker failed or died with it) more than this many seconds after its dispatch goes
   * to the shard dead-letter queue instead of running late.
   */
  fanoutShardMaxAgeSeconds: "FANOUT_SHARD_MAX_AGE_SECONDS",
  /** The shard dead-letter queue, where the worker sets aside a job too old to replay. */
  shardDeadLetterQueueUrl: "SHARD_DEAD_LETTER_QUEUE_URL",
  /** "false" once no connection key of the flat layout is left: saves a listing per fan-out. */
  connectionFlatKeys: "CONNECTION_FLAT_KEYS",
  /**
   * Comma-separated channel patterns (the grammar of a token's rights) whose messages are kept in the channel
   * history, with positions; unset or empty keeps none (docs/channels.md#history).
   */
  historyChannels: "HISTORY_CHANNELS",

  // --- auth: who may connect and what a connection may do (docs/security.md) ---
  /** `token` (a signed token at `$connect`, the default) or `open` (anonymous, every right). */
  authMode: "AUTH_MODE",
  /** ARN of the Secrets Manager secret whose string is the HS256 token secret (read once per cold start). */
  tokenSecretArn: "TOKEN_SECRET_ARN",
  /** The HS256 token secret itself: the local stack only (on AWS it stays in Secrets Manager). */
  tokenSecret: "TOKEN_SECRET",
  /** An external issuer's JWKS URL (replaces the stack's secret). */
  tokenJwksUrl: "TOKEN_JWKS_URL",
  /** The external issuer's `iss` (required with a JWKS URL). */
  tokenIssuer: "TOKEN_ISSUER",
  /** The external issuer's `aud`, if it sets one. */
  tokenAudience: "TOKEN_AUDIENCE",
  /** Comma-separated Origin allow-list at `$connect`; empty allows every origin. */
  allowedOrigins: "ALLOWED_ORIGINS",
  /** `false` takes broadcast and publish away from every client: SNS stays the only publisher. */
  clientPublishing: "CLIENT_PUBLISHING",
  /**
   * The largest frame a client's broadcast or publish may make, in bytes (below the 128 KB protocol limit). One
   * setting for both: a recipient pays for each byte alike, whoever the audience. (It was `MAX_BROADCAST_BYTES`
   * while it capped broadcasts only.)
   */
  maxClientMessageBytes: "MAX_CLIENT_MESSAGE_BYTES",
  /** The WebSocket API's id: events from any other API are refused (forged invocations). */
  expectedApiId: "EXPECTED_API_ID",
  /** The input topic's ARN: SNS records from any other topic are refused (forged invocations). */
  inputTopicArn: "INPUT_TOPIC_ARN",
} as const;

/** The auth modes of the stack (Terraform variable `auth_mode`, `npm start -- --open`). */
export const AUTH_MODES = ["token", "open"] as const;

/** How the stack admits connections: `token` (the default on AWS) or `open` (anonymous, every right). */
export type AuthMode = (typeof AUTH_MODES)[number];

/**
 * How long the channel history keeps a message, in days (Terraform `history_retention_days`): a day, S3's shortest
 * expiration, is enough for a client away for hours. 0 turns history off.
 */
export const DEFAULT_HISTORY_RETENTION_DAYS = 1;

/** The channels whose history is kept when none are named (Terraform `history_channels`): every channel. */
export const DEFAULT_HISTORY_CHANNELS = ["**"] as const;

/** The key prefix of the connection store when none is configured. */
export const DEFAULT_CONNECTION_PREFIX = "active-connections";

/** Powertools' service name, the `service` key of every log line, when none is configured. */
export const DEFAULT_SERVICE_NAME = "fanout";

/**
 * 32 KB: API Gateway meters WebSocket messages in 32 KB increments, so one client broadcast or publish of the 128 KB
 * maximum costs 4 messages per recipient; 32 KB is also one frame (larger messages must be fragmented by the client).
 */
export const DEFAULT_MAX_CLIENT_MESSAGE_BYTES = 32 * 1024;

/**
 * Sixteen shards: a 1,000-recipient shard at the default pace takes ~2 s, 1/16 of 100,000 recipients ~11 s; the
 * buckets divide evenly (256 / 16). See docs/scaling.md.
 */
export const DEFAULT_FANOUT_SHARDS = 16;

/**
 * One listing page: the recipients of a fan-out that fits one ListObjectsV2 page are known after one call, and
 * sending to them (~1,000 sends) takes well under a second of CPU at 1 vCPU, less than a queue hop and a cold start.
 */
export const DEFAULT_FANOUT_INLINE_MAX = 1000;

/**
 * A minute: a shard runs within seconds of its dispatch, or within one worker timeout when the queue is busy; a
 * redelivery comes a visibility timeout after a failed receive, and by then a minute-old frame is news nobody
 * asked to get late (docs/scaling.md).
 */
export const DEFAULT_FANOUT_SHARD_MAX_AGE_SECONDS = 60;

/**
 * The shard worker's timeout in seconds (Terraform `fanout_worker_timeout_seconds`): a shard of a large fan-out
 * outlives the routes' 29 s. The queue's visibility timeout follows it ({@link shardVisibilityTimeoutSeconds}).
 */
export const DEFAULT_FANOUT_WORKER_TIMEOUT_SECONDS = 300;

/**
 * What a shard's visibility timeout adds to the worker's timeout: Lambda ends a run at its timeout, so the longest
 * a received shard can legitimately stay hidden is that timeout, plus the cold start before it (Lambda's init phase
 * has its own 10 s) and the event source mapping's hand-off, with room to spare (docs/scaling.md).
 */
export const SHARD_VISIBILITY_MARGIN_SECONDS = 30;

/**
 * The shard queue's visibility timeout: how long a shard stays hidden after a worker received it, so also how late
 * a shard whose worker died comes back. Sized from one run's worst case rather than AWS's general advice of six
 * times the function's timeout, which makes room for throttled invocations: the worker's reserved concurrency
 * equals the mapping's maximum concurrency, so the mapping never invokes it into a throttle.
 * @param workerTimeoutSeconds - the worker's timeout
 */
export function shardVisibilityTimeoutSeconds(workerTimeoutSeconds: number): number {
  return workerTimeoutSeconds + SHARD_VISIBILITY_MARGIN_SECONDS;
}

/**
 * The routes' memory in MB (Terraform `lambda_memory_mb`), sized for CPU: Lambda gives one vCPU at 1,769 MB, and an
 * inline fan-out of {@link DEFAULT_FANOUT_INLINE_MAX} recipients must finish within 250 ms on AWS. At the measured
 * 0.1 ms of CPU a send (`npm run bench`), 1,000 sends take 100 ms of one vCPU: 173 ms at 1,024 MB (0.58 vCPU), which
 * leaves 77 ms for the listing (one page, about 50 ms); at 256 MB they would take 690 ms (docs/scaling.md).
 */
export const DEFAULT_LAMBDA_MEMORY_MB = 1024;

/**
 * The shard worker's memory in MB (Terraform `fanout_worker_memory_mb`), sized for CPU (docs/scaling.md): a shard
 * paced at 562 sends a second at the measured 0.14 ms a paced send needs 0.08 vCPU; 1,024 MB (0.58 vCPU) keeps it
 * under a sixth busy and sends its share of the account's burst (281 sends) in about 50 ms.
 */
export const DEFAULT_FANOUT_WORKER_MEMORY_MB = 1024;

/** Shard invocations at once (Terraform `fanout_max_concurrency`): the rate and burst are split this many ways. */
export const DEFAULT_FANOUT_MAX_CONCURRENCY = 16;

/**
 * API Gateway's account throttle (Terraform `account_connections_rate`, `account_connections_burst`): 10,000
 * requests a second with a token bucket of 5,000, per account and region, across every API ("Amazon API Gateway
 * quotas"), unless AWS raised it.
 */
export const DEFAULT_ACCOUNT_CONNECTIONS = { rate: 10_000, burst: 5_000 } as const;

/** The share of the account throttle's rate and burst all shards together may use (Terraform `fanout_rate_share`). */
export const DEFAULT_FANOUT_RATE_SHARE = 0.9;

/**
 * In-region PostToConnection takes a few milliseconds, so 100 calls in flight stay near the account-wide
 * throttle of 10,000 requests per second without bursting far past it (which only buys 429s).
 */
export const DEFAULT_FANOUT_CONCURRENCY = 100;

/**
 * A healthy PostToConnection answers in well under a second; 3 s frees a worker from a hung call (aws-sdk-js-v3
 * issues 6896, 7632) long before API Gateway's 29 s integration timeout.
 */
export const DEFAULT_FANOUT_SEND_TIMEOUT_MS = 3000;
