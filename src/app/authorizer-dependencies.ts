/**
 * What the `$connect` authorizer needs, and what every other event needs too: the configuration, the logger and
 * the token verifier, built once per execution environment. No S3, SQS or @connections client: an environment that
 * only ever answers authorizer events never loads them (`src/index.ts` loads `dependencies.ts` for the others).
 */

import type { TokenVerifier } from "../auth/tokens.js";
import { lazyVerifier, type SecretFetcher } from "../auth/verifier.js";
import { secretsManagerFetcher } from "../aws/secrets.js";
import { type Config, loadConfig } from "./config.js";
import { createLog, type Log } from "./log.js";

/** What the authorizer needs: built once per execution environment, shared by every invocation. */
export interface AuthorizerDependencies {
  /** The validated configuration. */
  config: Config;
  /** The logger. */
  log: Log;
  /** The token verifier, built once on first use; `undefined` in open mode. */
  verifier: (() => Promise<TokenVerifier>) | undefined;
}

/**
 * Builds the configuration, the logger and the verifier from the environment.
 * @param env - the environment
 * @param fetchSecret - how to read the token secret by ARN
 * @throws ConfigError naming the variable at fault (also logged)
 */
export function createAuthorizerDependencies(
  env: Record<string, string | undefined> = process.env,
  fetchSecret: SecretFetcher = secretsManagerFetcher(),
): AuthorizerDependencies {
  const log = createLog(env);
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    log.error("invalid configuration", { error });
    throw error;
  }
  return { config, log, verifier: lazyVerifier(config.auth.keySource, fetchSecret) };
}

let cached: AuthorizerDependencies | undefined;

/**
 * The authorizer's dependencies of this execution environment: built on the first authorizer event and kept for
 * the warm ones. A configuration error is thrown and not kept, so the next event reads the environment again.
 */
export function authorizerDependencies(): AuthorizerDependencies {
  cached ??= createAuthorizerDependencies(process.env);
  return cached;
}
