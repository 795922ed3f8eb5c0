/**
 * The `$connect` authorizer (token mode): what runs before a connection exists. It checks the Origin allow-list and
 * the token, and answers API Gateway with a policy, or the error `Unauthorized` (401), or another error (500). It
 * needs the configuration, the logger and the token verifier, and neither S3, SQS nor @connections, so the bundle's
 * entry (`src/index.ts`) loads it alone for an authorizer event.
 */
import type { AuthorizerDependencies } from "../app/authorizer-dependencies.js";
import type { Log } from "../app/log.js";
import { checkOrigin } from "../auth/origin.js";
import { serializeRights } from "../auth/rights.js";
import type { RefusalReason, TokenVerifier } from "../auth/tokens.js";
import { isOwnApi } from "./provenance.js";

/**
 * The event API Gateway sends a Lambda REQUEST authorizer on a WebSocket `$connect`. Beware: its
 * `requestContext` also has `eventType: "CONNECT"`, `routeKey` and `connectionId`, like the `$connect` integration
 * event, so the entry's table recognises it first.
 */
export interface AuthorizerEvent {
  type: "REQUEST";
  /** `arn:aws:execute-api:<region>:<account>:<api id>/<stage>/$connect` */
  methodArn: string;
  headers?: Record<string, string> | null;
  /** The last value of each query string parameter, as API Gateway passes a REQUEST authorizer's input. */
  queryStringParameters?: Record<string, string> | null;
  /** Every value of each query string parameter, in order. */
  multiValueQueryStringParameters?: Record<string, string[]> | null;
  requestContext?: { connectionId?: string; apiId?: string; identity?: { sourceIp?: string } };
}

/** The IAM policy result API Gateway expects from a REQUEST authorizer. */
export interface AuthorizerResponse {
  principalId: string;
  policyDocument: {
    Version: "2012-10-17";
    Statement: [{ Action: "execute-api:Invoke"; Effect: "Allow" | "Deny"; Resource: string }];
  };
  /** Reaches every later event of the connection as `requestContext.authorizer` (with `principalId`). */
  context?: { sub: string; fanout: string };
}

/**
 * What the authorizer decided. The handler turns it into what API Gateway understands with
 * {@link authorizerResult}: a policy (Allow; Deny → 403), the error `Unauthorized` (→ 401), or another error (→ 500).
 */
export type AuthorizeOutcome =
  | { kind: "allow"; response: AuthorizerResponse }
  | { kind: "deny"; response: AuthorizerResponse }
  | { kind: "unauthorized"; reason: RefusalReason }
  | { kind: "unavailable" };

/** What the authorizer needs. */
export interface AuthorizeDependencies {
  /** Verifies the token (HS256 secret or an external JWKS). */
  verify: TokenVerifier;
  /** The invocation's logger. */
  log: Log;
  /** The Origin allow-list; `undefined` allows every origin. */
  allowedOrigins?: readonly string[];
}

/** The query string parameter that carries the token (identity source `route.request.querystring.token`). */
export const TOKEN_PARAMETER = "token";

/**
 * The `$connect` authorizer: checks the Origin allow-list, then the token, and answers with a policy for the
 * connect method. Never throws: every outcome is returned. The token never reaches a log line; the reason does.
 * @param deps - the verifier, the log and the allow-list
 * @param event - the authorizer event
 */
export async function authorize(
  deps: AuthorizeDependencies,
  event: AuthorizerEvent,
): Promise<AuthorizeOutcome> {
  // An Origin outside the list is refused with 403 before the token is even looked at: the token may be valid,
  // but this page may not use it.
  const origin = checkOrigin(event.headers, deps.allowedOrigins);
  if (!origin.allowed) {
    deps.log.warn("connection refused: origin not allowed", { origin: origin.origin });
    return { kind: "deny", response: policy("anonymous", "Deny", event.methodArn) };
  }
  // API Gateway passes the last of repeated parameters in `queryStringParameters` and all of them beside it. A URL
  // with two tokens is refused rather than read as its last one: a proxy, a firewall rule or a log filter in front
  // may read the first, and `?token=BAD&token=GOOD` would pass one check with one token and this one with another.
  const count = event.multiValueQueryStringParameters?.[TOKEN_PARAMETER]?.length ?? 0;
  if (count > 1) {
    deps.log.warn("connection refused: token not accepted", { reason: "duplicate", tokenCount: count });
    return { kind: "unauthorized", reason: "duplicate" };
  }
  const parameters = event.queryStringParameters;
  const token = typeof parameters?.[TOKEN_PARAMETER] === "string" ? parameters[TOKEN_PARAMETER] : undefined;
  const result = await deps.verify(token);
  if (!result.ok) {
    if (result.error.failure !== undefined) {
      deps.log.error("cannot verify tokens: the key source failed", { failure: result.error.failure });
      return { kind: "unavailable" };
    }
    deps.log.warn("connection refused: token not accepted", {
      reason: result.error.reason,
      tokenLength: token?.length ?? 0,
    });
    return { kind: "unauthorized", reason: result.error.reason };
  }
  const { sub, exp, rights } = result.value;
  deps.log.info("connection authorized", { sub, exp, broadcast: rights.broadcast });
  return {
    kind: "allow",
    response: {
      ...policy(sub, "Allow", event.methodArn),
      context: { sub, fanout: serializeRights(rights) },
    },
  };
}

function policy(principalId: string, effect: "Allow" | "Deny", resource: string): AuthorizerResponse {
  return {
    principalId,
    policyDocument: {
      Version: "2012-10-17",
      Statement: [{ Action: "execute-api:Invoke", Effect: effect, Resource: resource }],
    },
  };
}

/**
 * The error whose message API Gateway maps to 401 Unauthorized. Its exact text matters; API Gateway reads the
 * function error's `errorMessage`.
 */
export class UnauthorizedError extends Error {
  override readonly name = "UnauthorizedError";
  constructor() {
    super("Unauthorized");
  }
}

/**
 * Turns an outcome into the Lambda result API Gateway expects. This is the one place the function throws on a
 * client's input, because throwing `Unauthorized` is the documented way for a REQUEST authorizer to answer 401.
 * @param outcome - from {@link authorize}
 * @throws UnauthorizedError for a refused token (API Gateway answers 401)
 * @throws Error for an unavailable key source (API Gateway answers 500)
 */
export function authorizerResult(outcome: AuthorizeOutcome): AuthorizerResponse {
  if (outcome.kind === "allow" || outcome.kind === "deny") return outcome.response;
  if (outcome.kind === "unauthorized") throw new UnauthorizedError();
  throw new Error("token verification unavailable");
}

/**
 * Answers one authorizer event: the event must name this stack's API, token mode must be on, and the verifier
 * must be buildable (the secret read); then {@link authorize} decides. Answers a policy, or throws `Unauthorized`
 * (API Gateway: 401) or another error (500): the documented contract of a Lambda authorizer, and the only throws on
 * client input.
 * @param deps - configuration, logger and verifier
 * @param event - the authorizer event
 */
export async function handle(
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
