import { LAMBDA_ENV } from "./contracts.js";
import { DEFAULT_CONNECTION_PREFIX } from "./limits.js";
import { CHANNEL_MEMBERS_PREFIX, CONNECTION_CHANNELS_PREFIX } from "./membership-keys.js";

/** The Lambda's configuration, read once per cold start from the environment. */
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
}

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
  };
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
  // A prefix inside the membership prefixes would make broadcasts list membership keys as connections.
  const first = trimmed.split("/")[0];
  if (first === CHANNEL_MEMBERS_PREFIX || first === CONNECTION_CHANNELS_PREFIX) {
    throw new ConfigError(
      name,
      `must not be "${CHANNEL_MEMBERS_PREFIX}" or "${CONNECTION_CHANNELS_PREFIX}" or lie under them (channel memberships use them), got "${raw}"`,
    );
  }
  return trimmed;
}

function endpoint(env: Env, name: string): string | undefined {
  const raw = value(env, name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch (error) {
    throw new ConfigError(
      name,
      `must be an http(s) URL such as https://abc.execute-api.us-east-1.amazonaws.com/prod, got "${raw}"`,
      {
        cause: error,
      },
    );
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
