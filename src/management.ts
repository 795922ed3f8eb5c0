import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from "@aws-sdk/client-apigatewaymanagementapi";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import type { Send } from "./fanout.js";

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
  for (const name of PER_CALL_MIDDLEWARE_REMOVED) client.middlewareStack.remove(name);
  client.middlewareStack.add((next) => (args) => next(args), {
    step: "finalizeRequest",
    priority: "high",
    tags: ["RETRY"],
    name: "retryMiddleware",
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
