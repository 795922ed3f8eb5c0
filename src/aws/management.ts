import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from "@aws-sdk/client-apigatewaymanagementapi";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { Send } from "../delivery/send-policy.js";

/** How the management clients are built. */
export interface ManagementOptions {
  /** Sends in flight per fan-out: the keep-alive agents keep this many sockets. */
  concurrency: number;
  /** The per-call timeout, also given to the HTTP handler as its request timeout. */
  sendTimeoutMs: number;
}

/**
 * The @connections base URL for a WebSocket event. A configured endpoint wins: behind a custom domain,
 * `domainName` is the custom name, where @connections does not exist.
 * @param configured - `MANAGEMENT_ENDPOINT`, if set
 * @param requestContext - the event's `domainName` and `stage`
 */
export function managementEndpoint(
  configured: string | undefined,
  requestContext: { domainName: string; stage: string },
): string {
  return configured ?? `https://${requestContext.domainName}/${requestContext.stage}`;
}

/**
 * Middleware that does nothing a fan-out needs, removed because each runs on every one of thousands of calls:
 * the SDK's debug logger hook (we log one summary per fan-out), the X-Ray trace header (tracing is not enabled)
 * and the User-Agent builder (only AWS's client metrics read it). Signing, host header, content length and serde
 * stay; the retry middleware is replaced, see {@link createManagementClient}.
 */
export const PER_CALL_MIDDLEWARE_REMOVED = [
  "loggerMiddleware",
  "recursionDetectionMiddleware",
  "getUserAgentMiddleware",
] as const;

/** The SDK's retry middleware, replaced by a pass-through of the same name (signing is placed relative to it). */
const RETRY_MIDDLEWARE = "retryMiddleware";

/** The SDK no longer has a middleware the tuning names: an SDK update renamed or dropped it. */
export class MiddlewareNotFoundError extends Error {
  override readonly name = "MiddlewareNotFoundError";

  /**
   * @param middleware - the name that is missing
   */
  constructor(readonly middleware: string) {
    super(
      `the SDK has no middleware named "${middleware}"; it was renamed or dropped, so update the tuning in src/aws/management.ts`,
    );
  }
}

/** What the tuning needs of a client's middleware stack. */
export interface TunableMiddlewareStack {
  /** Removes a middleware by name; false when there is none of that name. */
  remove(name: string): boolean;
  /** One `<name> - <step>` line per middleware. */
  identify(): string[];
}

/**
 * Removes middleware by name, loudly: `remove()` answers false for a name the stack lacks, and a tuning that
 * silently stopped applying would only show as a slower fan-out.
 * @param stack - the client's middleware stack
 * @param names - the middleware to remove
 * @throws MiddlewareNotFoundError for the first name the stack lacks
 */
export function removeMiddleware(stack: TunableMiddlewareStack, names: readonly string[]): void {
  for (const name of names) {
    if (!stack.remove(name)) throw new MiddlewareNotFoundError(name);
  }
}

/**
 * Checks that the stack has a middleware of this name.
 * @param stack - the client's middleware stack
 * @param name - the middleware
 * @throws MiddlewareNotFoundError when it has none
 */
export function requireMiddleware(stack: TunableMiddlewareStack, name: string): void {
  if (!stack.identify().some((entry) => entry.split(" - ")[0] === name))
    throw new MiddlewareNotFoundError(name);
}

/**
 * Builds a management client tuned for fan-out, where per-call overhead decides the speed (`npm run bench`):
 * - keep-alive agents sized to the concurrency (the default agent caps at 50 sockets);
 * - no SDK retries, because the fan-out engine retries throttling itself and the SDK's default would also retry a
 *   410 once (a wasted call per gone recipient);
 * - `cacheMiddleware`: the SDK resolves the middleware stack once per command class instead of on every call
 *   (about half of the SDK's per-call CPU here); it only applies to `send` calls without per-call options, which
 *   is why {@link postToConnection} passes no abort signal;
 * - the middleware in {@link PER_CALL_MIDDLEWARE_REMOVED};
 * - the retry middleware replaced by a pass-through of the same name: with one attempt it only adds an invocation
 *   id (a UUID per call) and a few awaits, but signing is placed relative to its name, so the name must stay.
 * @param endpoint - the @connections base URL
 * @param options - concurrency and timeout
 * @throws MiddlewareNotFoundError when the SDK lacks a middleware the tuning names (so every test that builds a
 *   client fails after such an SDK update)
 */
export function createManagementClient(
  endpoint: string,
  options: ManagementOptions,
): ApiGatewayManagementApiClient {
  const agentOptions = { keepAlive: true, maxSockets: options.concurrency };
  const client = new ApiGatewayManagementApiClient({
    endpoint,
    maxAttempts: 1,
    cacheMiddleware: true,
    requestHandler: new NodeHttpHandler({
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
      connectionTimeout: options.sendTimeoutMs,
      // Also what ends a hung request's socket: the engine's own timer frees the worker, this frees the socket.
      requestTimeout: options.sendTimeoutMs,
      // Without this the handler only warns when requestTimeout passes (@smithy/node-http-handler 4.x).
      throwOnRequestTimeout: true,
    }),
  });
  removeMiddleware(client.middlewareStack, PER_CALL_MIDDLEWARE_REMOVED);
  // Replaced, not removed: check the name first, since `override` on a missing name would only add a stray step.
  requireMiddleware(client.middlewareStack, RETRY_MIDDLEWARE);
  client.middlewareStack.add((next) => (args) => next(args), {
    step: "finalizeRequest",
    priority: "high",
    tags: ["RETRY"],
    name: RETRY_MIDDLEWARE,
    override: true,
  });
  return client;
}

/**
 * A `Send` over PostToConnection. The abort signal is not passed on: per-call options turn off the SDK's
 * middleware cache, and the client's `requestTimeout` (equal to the engine's per-call timeout) already ends a
 * hung request; the engine stops waiting for it at its own timeout either way.
 * @param client - the management client
 */
export function postToConnection(client: ApiGatewayManagementApiClient): Send {
  return async (connectionId, data) => {
    await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }));
  };
}

/**
 * One `Send` per endpoint, built on first use and kept for the life of the execution environment, so that warm
 * invocations reuse the client, its resolved configuration and its open keep-alive sockets.
 */
export class ManagementSenders {
  private readonly senders = new Map<string, Send>();

  /**
   * @param options - concurrency and timeout of every client
   * @param createClient - builds a client; replaceable in tests
   */
  constructor(
    private readonly options: ManagementOptions,
    private readonly createClient: typeof createManagementClient = createManagementClient,
  ) {}

  /**
   * The `Send` for an endpoint.
   * @param endpoint - the @connections base URL
   */
  for(endpoint: string): Send {
    let send = this.senders.get(endpoint);
    if (send === undefined) {
      send = postToConnection(this.createClient(endpoint, this.options));
      this.senders.set(endpoint, send);
    }
    return send;
  }
}
