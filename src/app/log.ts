import { Logger } from "@aws-lambda-powertools/logger";
import { DEFAULT_SERVICE_NAME, LAMBDA_ENV } from "../contract/environment.js";

/** Attributes added to one log line or kept on every line of an invocation. */
export type LogAttributes = Record<string, unknown>;

/**
 * What the use cases need of a logger: one JSON object per line. Powertools' Logger satisfies it; tests pass a
 * recording fake.
 */
export interface Log {
  /** Logs at DEBUG. */
  debug(message: string, ...attributes: LogAttributes[]): void;
  /** Logs at INFO. */
  info(message: string, ...attributes: LogAttributes[]): void;
  /** Logs at WARN. */
  warn(message: string, ...attributes: LogAttributes[]): void;
  /** Logs at ERROR. */
  error(message: string, ...attributes: LogAttributes[]): void;
  /** Adds keys to every following line until `resetKeys` or `removeKeys`. */
  appendKeys(attributes: LogAttributes): void;
  /** Removes the named keys added by `appendKeys`. */
  removeKeys(keys: string[]): void;
  /** Removes every key added by `appendKeys` (called at the end of each invocation). */
  resetKeys(): void;
}

/**
 * The Lambda's logger: Powertools for AWS Lambda, JSON lines on stdout, level from `POWERTOOLS_LOG_LEVEL`
 * (default INFO), service from `POWERTOOLS_SERVICE_NAME` (default `fanout`).
 * @param env - the environment, `process.env` by default
 */
export function createLog(env: Record<string, string | undefined> = process.env): Log {
  // Powertools prefers the constructor's serviceName over POWERTOOLS_SERVICE_NAME, so the variable's value is
  // passed on, and the default applies only when it is unset.
  return new Logger({ serviceName: env[LAMBDA_ENV.serviceName] || DEFAULT_SERVICE_NAME });
}
