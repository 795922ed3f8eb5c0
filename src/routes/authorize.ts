import { serializeCapabilities } from "../capabilities.js";
import type { Log } from "../log.js";
import { checkOrigin } from "../origin.js";
import type { RefusalReason, TokenVerifier } from "../tokens.js";

/**
 * The event API Gateway sends a Lambda REQUEST authorizer on a WebSocket `$connect`. Beware: its
 * `requestContext` also has `eventType: "CONNECT"`, `routeKey` and `connectionId`, like the `$connect` integration
 * event, so a classifier must test {@link isAuthorizerEvent} first.
 */
export interface AuthorizerEvent {
  type: "REQUEST";
  /** `arn:aws:execute-api:<region>:<account>:<api id>/<stage>/$connect` */
  methodArn: string;
  headers?: Record<string, string> | null;
  queryStringParameters?: Record<string, string> | null;
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
 * Recognises a REQUEST authorizer event by its `type` and `methodArn`, which no other event the function gets has.
 * @param event - whatever Lambda was invoked with
 */
export function isAuthorizerEvent(event: unknown): event is AuthorizerEvent {
  if (typeof event !== "object" || event === null) return false;
  const { type, methodArn } = event as Record<string, unknown>;
  return type === "REQUEST" && typeof methodArn === "string";
}

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
  const parameters = event.queryStringParameters;
  const token = typeof parameters?.[TOKEN_PARAMETER] === "string" ? parameters[TOKEN_PARAMETER] : undefined;
  const result = await deps.verify(token);
  if (!result.ok) {
    if (result.failure !== undefined) {
      deps.log.error("cannot verify tokens: the key source failed", { failure: result.failure });
      return { kind: "unavailable" };
    }
    deps.log.warn("connection refused: token not accepted", {
      reason: result.reason,
      tokenLength: token?.length ?? 0,
    });
    return { kind: "unauthorized", reason: result.reason };
  }
  const { sub, exp, capabilities } = result.claims;
  deps.log.info("connection authorized", { sub, exp, broadcast: capabilities.broadcast });
  return {
    kind: "allow",
    response: {
      ...policy(sub, "Allow", event.methodArn),
      context: { sub, fanout: serializeCapabilities(capabilities) },
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
