/**
 * How API Gateway sees one integration (a Lambda invocation): its status, its latency and its error texts; and how it
 * runs the `$connect` authorizer. The access log record of a result is in access-log.ts.
 */
import type { InvokeOutcome } from "../lambda/execution-environment.js";
import type { AuthorizerRequest, WebSocketEvent } from "./events.js";

/** Invokes the function; calls `started` once an execution environment has taken the event. */
export type Invoke = (
  event: WebSocketEvent | AuthorizerRequest,
  started: () => void,
) => Promise<InvokeOutcome>;

/** How an integration result looks from API Gateway. */
export interface IntegrationResult {
  status: number;
  integrationStatus: number | undefined;
  /** What API Gateway tells the client and the access log when the integration failed. */
  errorMessage: string | undefined;
  integrationErrorMessage: string | undefined;
  latency: number;
  /** The function's `Sec-WebSocket-Protocol` response header ($connect only), if it returned one. */
  subprotocol: string | undefined;
  /** The invocation still running after API Gateway gave up on it (504), to clean up after. */
  late: Promise<InvokeOutcome> | undefined;
  /** The local stack is stopping: nothing to report. */
  stopped: boolean;
}

const TIMED_OUT = "Endpoint request timed out";

/**
 * Runs one integration. The timeout counts from the moment an environment takes the event: the wait for a free
 * local environment stands for Lambda scaling out, which API Gateway does not wait for.
 */
export async function integrate(
  invoke: Invoke,
  event: WebSocketEvent,
  timeoutMs: number,
  keepRaw = false,
): Promise<IntegrationResult & { raw?: unknown; functionError?: string }> {
  const queued = performance.now();
  let timer: NodeJS.Timeout | undefined;
  let timedOut: (value: "timeout") => void = () => undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timedOut = resolve;
  });
  const running = invoke(event, () => {
    timer = setTimeout(() => timedOut("timeout"), timeoutMs);
  });
  const outcome = await Promise.race([running, timeout]);
  clearTimeout(timer);
  const base = {
    latency: Math.round(performance.now() - queued),
    subprotocol: undefined,
    late: undefined,
    stopped: false,
  };
  if (outcome === "timeout" || outcome.status === "timeout") {
    return {
      ...base,
      status: 504,
      integrationStatus: undefined,
      errorMessage: TIMED_OUT,
      integrationErrorMessage: TIMED_OUT,
      late: outcome === "timeout" ? running : undefined,
    };
  }
  if (outcome.status === "throttled") {
    // Lambda answers 429 TooManyRequestsException; API Gateway turns an integration failure into a 500.
    return {
      ...base,
      status: 500,
      integrationStatus: 429,
      errorMessage: "Internal server error",
      integrationErrorMessage: "Lambda.TooManyRequestsException: Rate Exceeded.",
    };
  }
  if (outcome.status === "error") {
    return {
      ...base,
      status: 500,
      integrationStatus: 200,
      errorMessage: "Internal server error",
      integrationErrorMessage: `${outcome.error.errorType}: ${outcome.error.errorMessage}`,
      stopped: outcome.stopped === true,
      functionError: outcome.error.errorMessage,
    };
  }
  return {
    ...base,
    ...(keepRaw ? { raw: outcome.result } : {}),
    ...proxyResult(outcome.result),
    integrationStatus: 200,
    errorMessage: undefined,
    integrationErrorMessage: undefined,
  };
}

/** The status and subprotocol header of a Lambda proxy result. */
function proxyResult(value: unknown): { status: number; subprotocol: string | undefined } {
  const result = value as { statusCode?: unknown; headers?: unknown } | null;
  const status = typeof result?.statusCode === "number" ? result.statusCode : 200;
  let subprotocol: string | undefined;
  if (typeof result?.headers === "object" && result.headers !== null) {
    for (const [name, header] of Object.entries(result.headers)) {
      if (name.toLowerCase() === "sec-websocket-protocol" && typeof header === "string") subprotocol = header;
    }
  }
  return { status, subprotocol };
}

/** What the `$connect` authorizer decided, as API Gateway reports it. */
export interface AuthorizerDecision {
  /** 200 (Allow), 401 (the error `Unauthorized`), 403 (Deny), 500 (any other failure, a malformed answer). */
  status: number;
  /** On Allow: `requestContext.authorizer` of every later event (`principalId`, `integrationLatency`, the context). */
  context?: Record<string, unknown>;
  /** API Gateway's `$context.error.message`. */
  errorMessage?: string;
  latency: number;
  /** The local stack is stopping: nothing to report. */
  stopped: boolean;
}

/**
 * Runs the `$connect` REQUEST authorizer the way API Gateway does: a policy allowing `execute-api:Invoke` on the
 * method ARN admits the client, with `principalId` and the context passed to every later event; a Deny policy
 * refuses with 403; a function error whose message is exactly `Unauthorized` refuses with 401; anything else
 * (another error, a timeout, a throttle, a malformed answer) with 500. API Gateway does not cache WebSocket
 * authorizer results: each handshake runs it.
 */
export async function authorizeConnect(
  invoke: Invoke,
  event: AuthorizerRequest,
  timeoutMs: number,
): Promise<AuthorizerDecision> {
  const result = await integrate(invoke, event as unknown as WebSocketEvent, timeoutMs, true);
  const base = { latency: result.latency, stopped: result.stopped };
  if (result.raw === undefined) {
    const unauthorized = result.functionError === "Unauthorized";
    return unauthorized
      ? { ...base, status: 401, errorMessage: "Unauthorized" }
      : { ...base, status: 500, errorMessage: "Internal server error" };
  }
  const policy = result.raw as {
    principalId?: unknown;
    policyDocument?: { Statement?: Array<{ Effect?: unknown; Action?: unknown; Resource?: unknown }> };
    context?: unknown;
  } | null;
  const statements = policy?.policyDocument?.Statement;
  if (typeof policy?.principalId !== "string" || !Array.isArray(statements)) {
    return { ...base, status: 500, errorMessage: "Internal server error" };
  }
  const covers = (statement: { Action?: unknown; Resource?: unknown }) =>
    (statement.Action === "execute-api:Invoke" || statement.Action === "*") &&
    (statement.Resource === event.methodArn || statement.Resource === "*");
  const denied = statements.some((statement) => statement.Effect === "Deny" && covers(statement));
  const allowed = statements.some((statement) => statement.Effect === "Allow" && covers(statement));
  if (denied || !allowed) return { ...base, status: 403, errorMessage: "Forbidden" };
  const context = typeof policy.context === "object" && policy.context !== null ? policy.context : {};
  return {
    ...base,
    status: 200,
    context: { ...context, principalId: policy.principalId, integrationLatency: result.latency },
  };
}
