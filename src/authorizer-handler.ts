/**
 * The `$connect` authorizer's side of the function, apart from the rest: what a token-mode `$connect` runs before
 * the connection exists. It needs the configuration, the logger and the token verifier, and neither S3, SQS nor
 * @connections, so the bundle's entry (`index.ts`) loads this module alone for an authorizer event, and an
 * environment that only ever answers authorizer events never loads the other clients.
 */
import type { Context } from "aws-lambda";
import { type Config, loadConfig } from "./config.js";
import { createLog, type Log } from "./log.js";
import { isOwnApi } from "./provenance.js";
import {
  type AuthorizerEvent,
  type AuthorizerResponse,
  authorize,
  authorizerResult,
} from "./routes/authorize.js";
import type { TokenVerifier } from "./tokens.js";
import { lazyVerifier, type SecretFetcher, secretsManagerFetcher } from "./verifier.js";

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
 * Builds the configuration, the logger and the verifier from the environment: the part of the dependencies every
 * event needs (the full handler's `createDependencies` adds the stores and clients to it).
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
  return { config, log, verifier: lazyVerifier(config.auth, fetchSecret) };
}

/**
 * The `$connect` REQUEST authorizer (token mode). Answers a policy, or throws `Unauthorized` (API Gateway: 401) or
 * another error (500): the documented contract of a Lambda authorizer, and the only throws on client input.
 * @param deps - configuration, logger and verifier
 * @param event - the authorizer event
 */
export async function authorizeConnect(
  deps: AuthorizerDependencies,
  event: AuthorizerEvent,
): Promise<AuthorizerResponse> {
  deps.log.appendKeys({ connectionId: event.requestContext?.connectionId, routeKey: "$connect authorizer" });
  if (!isOwnApi(event.requestContext?.apiId, deps.config.auth, deps.log)) {
    return authorizerResult({ kind: "unauthorized", reason: "invalid_claims" });
  }
  if (deps.verifier === undefined) {
    deps.log.error("authorizer invoked, but AUTH_MODE is open: the stack should have no authorizer");
    return authorizerResult({ kind: "unavailable" });
  }
  let verify: TokenVerifier;
  try {
    verify = await deps.verifier();
  } catch (error) {
    deps.log.error("cannot verify tokens: reading the token secret failed", { error });
    return authorizerResult({ kind: "unavailable" });
  }
  const outcome = await authorize(
    { verify, log: deps.log, allowedOrigins: deps.config.auth.allowedOrigins },
    event,
  );
  return authorizerResult(outcome);
}

let cached: AuthorizerDependencies | undefined;

/**
 * Answers one authorizer event with dependencies built on first use and kept for warm invocations, as the full
 * handler does for the other events.
 * @param event - the authorizer event
 * @param context - the Lambda context (its request id goes into the log lines)
 */
export async function handleAuthorizerEvent(
  event: AuthorizerEvent,
  context: Context | undefined,
): Promise<AuthorizerResponse> {
  cached ??= createAuthorizerDependencies(process.env);
  const deps = cached;
  deps.log.appendKeys({ requestId: context?.awsRequestId });
  try {
    return await authorizeConnect(deps, event);
  } finally {
    deps.log.resetKeys();
  }
}
