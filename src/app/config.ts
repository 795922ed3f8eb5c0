import { parseAllowedOrigins } from "../auth/origin.js";
import type { KeySourceConfig } from "../auth/verifier.js";
import {
  AUTH_MODES,
  type AuthMode,
  DEFAULT_CONNECTION_PREFIX,
  DEFAULT_FANOUT_CONCURRENCY,
  DEFAULT_FANOUT_INLINE_MAX,
  DEFAULT_FANOUT_SEND_TIMEOUT_MS,
  DEFAULT_FANOUT_SHARD_MAX_AGE_SECONDS,
  DEFAULT_FANOUT_SHARDS,
  DEFAULT_MAX_CLIENT_MESSAGE_BYTES,
  LAMBDA_ENV,
} from "../contract/environment.js";
import { isValidPattern } from "../contract/grammar.js";
import { MAX_MESSAGE_BYTES, MAX_PATTERNS } from "../contract/limits.js";
import {
  CHANNEL_HISTORY_PREFIX,
  CHANNEL_MEMBERS_PREFIX,
  CONNECTION_CHANNELS_PREFIX,
} from "../contract/storage.js";

/**
 * The Lambda's configuration, read once per cold start from the environment (the names and defaults are the
 * contract's, `src/contract/environment.ts`).
 */
export interface Config {
  /** `CONNECTION_BUCKET`: the S3 bucket that holds one empty object per live connection. */
  connectionBucket: string;
  /** `CONNECTION_PREFIX`: the key prefix of the connection store, without a trailing slash. */
  connectionPrefix: string;
  /**
   * `MANAGEMENT_ENDPOINT`: the @connections base URL (`https://{api}.execute-api.{region}.amazonaws.com/{stage}`).
   * When set it wins over the URL derived from a WebSocket event; SNS events need it.
   */
  managementEndpoint: string | undefined;
  /** `FANOUT_CONCURRENCY`: PostToConnection calls in flight per fan-out. */
  fanoutConcurrency: number;
  /** `FANOUT_SEND_TIMEOUT_MS`: the longest one PostToConnection may take before it counts as failed. */
  fanoutSendTimeoutMs: number;
  /** `S3_FORCE_PATH_STYLE`: path-style S3 URLs, which local emulators need. */
  s3ForcePathStyle: boolean;
  /** `SHARD_QUEUE_URL`: the shard queue; undefined, every fan-out stays in one invocation. */
  shardQueueUrl: string | undefined;
  /** `FANOUT_SHARDS`: how many shards a large fan-out is cut into (1 to 256). */
  fanoutShards: number;
  /** `FANOUT_INLINE_MAX`: the most recipients a fan-out may have to stay in one invocation (0 to 1,000). */
  fanoutInlineMax: number;
  /** `FANOUT_SHARD_RATE`: sends a second per shard invocation; 0 leaves shards unpaced. */
  fanoutShardRate: number;
  /** `FANOUT_SHARD_BURST`: sends a paced shard may make at once after idling; 0: a tenth of a second's worth. */
  fanoutShardBurst: number;
  /**
   * `FANOUT_SHARD_MAX_AGE_SECONDS`: a shard job redelivered more than this long after its dispatch is set aside in
   * the dead-letter queue instead of running (default 60).
   */
  fanoutShardMaxAgeSeconds: number;
  /** `SHARD_DEAD_LETTER_QUEUE_URL`: where the shard worker sets such a job aside; undefined, it leaves it to SQS. */
  shardDeadLetterQueueUrl: string | undefined;
  /** `CONNECTION_FLAT_KEYS`: also read and remove keys of the flat layout (default true). */
  connectionFlatKeys: boolean;
  /** `AWS_REGION` (Lambda sets it; `AWS_DEFAULT_REGION` as a fallback): what requests are signed for. */
  region: string | undefined;
  /** `HISTORY_CHANNELS`: the patterns of the channels whose history is kept; empty keeps none. */
  historyChannels: readonly string[];
  /** Who may connect and what a connection may do (docs/security.md). */
  auth: AuthConfig;
}

/** The auth part of {@link Config}. */
export interface AuthConfig {
  /** `AUTH_MODE`: `token` (default, fail closed) or `open`. */
  mode: AuthMode;
  /** The key source; `undefined` in open mode. */
  keySource: KeySourceConfig | undefined;
  /** `ALLOWED_ORIGINS`: the Origin allow-list at `$connect`; `undefined` allows every origin. */
  allowedOrigins: readonly string[] | undefined;
  /** `CLIENT_PUBLISHING`: whether clients may broadcast and publish at all (default true). */
  clientPublishing: boolean;
  /**
   * `MAX_CLIENT_MESSAGE_BYTES`: the largest frame a client's broadcast (`{"message":…}`) or channel publish
   * (`{"channel":…,"message":…,"id":…}`) may make.
   */
  maxClientMessageBytes: number;
  /** `EXPECTED_API_ID`: WebSocket events of another API are refused; `undefined` checks nothing. */
  expectedApiId: string | undefined;
  /** `INPUT_TOPIC_ARN`: SNS records of another topic are refused; `undefined` checks nothing. */
  inputTopicArn: string | undefined;
}

/** A missing or malformed environment variable. `variable` names it; the message says what is expected. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";

  /**
   * @param variable - the environment variable at fault
   * @param message - what is wrong and what is expected
   * @param options - the underlying error, if any
   */
  constructor(
    readonly variable: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${variable}: ${message}`, options);
  }
}

type Env = Record<string, string | undefined>;

/**
 * Reads and validates the configuration. An empty variable counts as unset, because Terraform and shells
 * often pass "" for "not configured".
 * @param env - the environment to read, `process.env` by default
 * @throws ConfigError naming the first variable that is missing or malformed
 */
export function loadConfig(env: Env = process.env): Config {
  return {
    connectionBucket: required(env, LAMBDA_ENV.connectionBucket),
    connectionPrefix: prefix(env, LAMBDA_ENV.connectionPrefix),
    managementEndpoint: endpoint(env, LAMBDA_ENV.managementEndpoint),
    fanoutConcurrency: integer(env, LAMBDA_ENV.fanoutConcurrency, DEFAULT_FANOUT_CONCURRENCY, 1, 1000),
    fanoutSendTimeoutMs: integer(
      env,
      LAMBDA_ENV.fanoutSendTimeoutMs,
      DEFAULT_FANOUT_SEND_TIMEOUT_MS,
      100,
      60_000,
    ),
    s3ForcePathStyle: boolean(env, LAMBDA_ENV.s3ForcePathStyle, false),
    shardQueueUrl: endpoint(
      env,
      LAMBDA_ENV.shardQueueUrl,
      "https://sqs.us-east-1.amazonaws.com/123456789012/fanout-shards",
    ),
    fanoutShards: integer(env, LAMBDA_ENV.fanoutShards, DEFAULT_FANOUT_SHARDS, 1, 256),
    fanoutInlineMax: integer(env, LAMBDA_ENV.fanoutInlineMax, DEFAULT_FANOUT_INLINE_MAX, 0, 1000),
    fanoutShardRate: integer(env, LAMBDA_ENV.fanoutShardRate, 0, 0, 100_000),
    fanoutShardBurst: integer(env, LAMBDA_ENV.fanoutShardBurst, 0, 0, 100_000),
    // SQS keeps a message at most 14 days; a bound beyond that could never apply.
    fanoutShardMaxAgeSeconds: integer(
      env,
      LAMBDA_ENV.fanoutShardMaxAgeSeconds,
      DEFAULT_FANOUT_SHARD_MAX_AGE_SECONDS,
      0,
      14 * 24 * 60 * 60,
    ),
    shardDeadLetterQueueUrl: endpoint(
      env,
      LAMBDA_ENV.shardDeadLetterQueueUrl,
      "https://sqs.us-east-1.amazonaws.com/123456789012/fanout-shards-dlq",
    ),
    connectionFlatKeys: boolean(env, LAMBDA_ENV.connectionFlatKeys, true),
    region: value(env, "AWS_REGION") ?? value(env, "AWS_DEFAULT_REGION"),
    historyChannels: patterns(env, LAMBDA_ENV.historyChannels),
    auth: authConfig(env),
  };
}

function authConfig(env: Env): AuthConfig {
  const mode = authMode(env, LAMBDA_ENV.authMode);
  let allowedOrigins: readonly string[] | undefined;
  try {
    allowedOrigins = parseAllowedOrigins(value(env, LAMBDA_ENV.allowedOrigins));
  } catch (error) {
    throw new ConfigError(LAMBDA_ENV.allowedOrigins, (error as Error).message, { cause: error });
  }
  return {
    mode,
    keySource: mode === "open" ? undefined : keySource(env),
    allowedOrigins,
    clientPublishing: boolean(env, LAMBDA_ENV.clientPublishing, true),
    maxClientMessageBytes: clientMessageCap(env),
    expectedApiId: value(env, LAMBDA_ENV.expectedApiId),
    inputTopicArn: value(env, LAMBDA_ENV.inputTopicArn),
  };
}

/** The variable's name before it capped channel publishes too. */
const RENAMED_CAP_VARIABLE = "MAX_BROADCAST_BYTES";

function clientMessageCap(env: Env): number {
  // Refused rather than ignored: a stack started with the old name would run with the default cap without a word.
  if (value(env, RENAMED_CAP_VARIABLE) !== undefined) {
    throw new ConfigError(
      RENAMED_CAP_VARIABLE,
      `was renamed ${LAMBDA_ENV.maxClientMessageBytes} (it caps channel publishes too); set that one instead`,
    );
  }
  return integer(
    env,
    LAMBDA_ENV.maxClientMessageBytes,
    DEFAULT_MAX_CLIENT_MESSAGE_BYTES,
    64,
    MAX_MESSAGE_BYTES,
  );
}

function authMode(env: Env, name: string): AuthMode {
  const raw = value(env, name)?.toLowerCase();
  if (raw === undefined) return "token";
  if ((AUTH_MODES as readonly string[]).includes(raw)) return raw as AuthMode;
  throw new ConfigError(name, `must be "token" or "open", got "${raw}"`);
}

/** Exactly one key source: a stack with two would verify against whichever the code happened to try first. */
function keySource(env: Env): KeySourceConfig {
  const arn = value(env, LAMBDA_ENV.tokenSecretArn);
  const secret = value(env, LAMBDA_ENV.tokenSecret);
  const jwksUrl = value(env, LAMBDA_ENV.tokenJwksUrl);
  const given = [arn, secret, jwksUrl].filter((v) => v !== undefined).length;
  if (given === 0) {
    throw new ConfigError(
      LAMBDA_ENV.tokenSecretArn,
      `is required when ${LAMBDA_ENV.authMode} is "token" (or ${LAMBDA_ENV.tokenSecret} locally, or ${LAMBDA_ENV.tokenJwksUrl} for an external issuer); set ${LAMBDA_ENV.authMode}=open for anonymous access`,
    );
  }
  if (given > 1) {
    throw new ConfigError(
      LAMBDA_ENV.tokenJwksUrl,
      `give one key source: ${LAMBDA_ENV.tokenSecretArn}, ${LAMBDA_ENV.tokenSecret} or ${LAMBDA_ENV.tokenJwksUrl}`,
    );
  }
  if (arn !== undefined) {
    if (!arn.startsWith("arn:"))
      throw new ConfigError(LAMBDA_ENV.tokenSecretArn, `must be an ARN, got "${arn}"`);
    return { kind: "secret-arn", arn };
  }
  if (secret !== undefined) return { kind: "secret", secret };
  const url = endpoint(env, LAMBDA_ENV.tokenJwksUrl) as string;
  const issuer = value(env, LAMBDA_ENV.tokenIssuer);
  if (issuer === undefined) {
    throw new ConfigError(
      LAMBDA_ENV.tokenIssuer,
      `is required with ${LAMBDA_ENV.tokenJwksUrl}: the issuer's "iss" value, so tokens of other issuers using the same keys are refused`,
    );
  }
  return { kind: "jwks", url, issuer, audience: value(env, LAMBDA_ENV.tokenAudience) };
}

function value(env: Env, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw === "" ? undefined : raw;
}

function required(env: Env, name: string): string {
  const raw = value(env, name);
  if (raw === undefined) throw new ConfigError(name, "is required (the S3 bucket of the connection store)");
  return raw;
}

function prefix(env: Env, name: string): string {
  const raw = value(env, name);
  if (raw === undefined) return DEFAULT_CONNECTION_PREFIX;
  // Keys are `<prefix>/<connectionId>`: a trailing slash would double it and hide every stored connection.
  const trimmed = raw.replace(/\/+$/, "");
  if (trimmed === "" || trimmed.startsWith("/")) {
    throw new ConfigError(name, `must be a key prefix such as "${DEFAULT_CONNECTION_PREFIX}", got "${raw}"`);
  }
  // A prefix inside the membership or history prefixes would make broadcasts list their keys as connections.
  const first = trimmed.split("/")[0];
  if (
    first === CHANNEL_MEMBERS_PREFIX ||
    first === CONNECTION_CHANNELS_PREFIX ||
    first === CHANNEL_HISTORY_PREFIX
  ) {
    throw new ConfigError(
      name,
      `must not be "${CHANNEL_MEMBERS_PREFIX}", "${CONNECTION_CHANNELS_PREFIX}" or "${CHANNEL_HISTORY_PREFIX}" or lie under them (channel memberships and history use them), got "${raw}"`,
    );
  }
  return trimmed;
}

/** A comma-separated list of channel patterns (the grammar of a token's rights); unset is none. */
function patterns(env: Env, name: string): readonly string[] {
  const list = (value(env, name) ?? "")
    .split(",")
    .map((pattern) => pattern.trim())
    .filter(Boolean);
  const bad = list.find((pattern) => !isValidPattern(pattern));
  if (bad !== undefined) {
    throw new ConfigError(
      name,
      `"${bad}" is not a channel pattern: segments of letters, digits, "_", "." and "-", "*" for one segment, "**" last for the rest, such as "**" or "news/**"`,
    );
  }
  if (list.length > MAX_PATTERNS)
    throw new ConfigError(name, `at most ${MAX_PATTERNS} patterns, got ${list.length}`);
  return list;
}

function endpoint(
  env: Env,
  name: string,
  example = "https://abc.execute-api.us-east-1.amazonaws.com/prod",
): string | undefined {
  const raw = value(env, name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch (error) {
    throw new ConfigError(name, `must be an http(s) URL such as ${example}, got "${raw}"`, {
      cause: error,
    });
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ConfigError(name, `must use https (or http locally), got "${url.protocol}"`);
  }
  return raw.replace(/\/+$/, "");
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = value(env, name);
  if (raw === undefined) return fallback;
  const parsed = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(parsed >= min && parsed <= max)) {
    throw new ConfigError(name, `must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return parsed;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = value(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (raw === "true") return true;
  if (raw === "false") return false;
  throw new ConfigError(name, `must be "true" or "false", got "${raw}"`);
}
