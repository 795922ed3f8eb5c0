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
 * Builds a management client tuned for fan-out: keep-alive agents sized to the concurrency (the default agent
 * would open and close a TLS connection per call), and no SDK retries, because the fan-out engine retries
 * throttling itself and the SDK's default would also retry a 410 once (a wasted call per gone recipient).
 * @param endpoint - the @connections base URL
 * @param options - concurrency and timeout
 */
export function createManagementClient(
  endpoint: string,
  options: ManagementOptions,
): ApiGatewayManagementApiClient {
  const agentOptions = { keepAlive: true, maxSockets: options.concurrency };
  return new ApiGatewayManagementApiClient({
    endpoint,
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
      connectionTimeout: options.sendTimeoutMs,
      requestTimeout: options.sendTimeoutMs,
      // Without this the handler only warns when requestTimeout passes (@smithy/node-http-handler 4.x).
      throwOnRequestTimeout: true,
    }),
  });
}

/**
 * A `Send` over PostToConnection.
 * @param client - the management client
 */
export function postToConnection(client: ApiGatewayManagementApiClient): Send {
  return async (connectionId, data, signal) => {
    await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }), {
      abortSignal: signal,
    });
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
