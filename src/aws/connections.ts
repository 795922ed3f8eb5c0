/**
 * The @connections sender: `PostToConnection` as one SigV4-signed HTTPS request on a keep-alive agent, without the
 * AWS SDK. A fan-out is one such call per recipient, so per-call overhead is the price of a recipient in Lambda CPU:
 * the SDK's command path (middleware, schema serde, endpoint rules) cost about 0.25 ms a call where the request
 * itself costs about 0.05 ms (docs/design.md, "The @connections sender"). It keeps what the SDK gave: the
 * environment's credentials (session token included, read at least once a second), the endpoint, the error names and
 * statuses the send policy classifies (`src/delivery/send-policy.ts`), and the per-call timeout (the engine's abort
 * signal). `test/e2e/connections-contract.test.ts` compares it with the SDK on the wire.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { Send } from "../delivery/send-policy.js";
import {
  type CredentialSource,
  canonicalUri,
  type PreparedSigning,
  payloadHash,
  SigV4,
  uriEscape,
} from "./sigv4.js";

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

/** The answer to one request: its status, its error type header and, for an error, its body. */
export interface Answer {
  status: number;
  /** `x-amzn-ErrorType`, which names API Gateway's errors. */
  errorType: string | undefined;
  /** The body of an error answer (at most {@link ERROR_BODY_LIMIT} bytes); empty for a success. */
  body: string;
}

/** A request as it goes on the wire: the path percent-encoded, the headers signed. */
export interface OutgoingRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
}

/**
 * Sends one signed request to the endpoint's host and resolves with its answer; rejects with the socket's error
 * (`ECONNRESET`, ...) or the signal's reason once aborted.
 */
export type Exchange = (request: OutgoingRequest, body: Uint8Array, signal: AbortSignal) => Promise<Answer>;

/** Error answers are read this far: enough for API Gateway's `{"message": ...}`. */
const ERROR_BODY_LIMIT = 4096;

/**
 * A PostToConnection that API Gateway answered with an error. `name` is the error type API Gateway sent
 * (`GoneException`, `LimitExceededException`, `PayloadTooLargeException`, `ForbiddenException`), or `Unknown`
 * without one, as the SDK names it; `$metadata.httpStatusCode` is the status, where the SDK keeps it, so that the
 * send policy reads one shape.
 */
export class ConnectionsApiError extends Error {
  override readonly name: string;
  readonly $metadata: { httpStatusCode: number };

  /**
   * @param name - the error type
   * @param status - the HTTP status
   * @param message - API Gateway's message
   */
  constructor(name: string, status: number, message: string) {
    super(message);
    this.name = name;
    this.$metadata = { httpStatusCode: status };
  }
}

/**
 * The error of a non-2xx answer, named as the SDK names it: by `x-amzn-ErrorType` without its `:namespace` suffix,
 * else by the body's `__type` or `code`, else `Unknown`.
 * @param answer - the answer
 */
export function connectionsError(answer: Answer): ConnectionsApiError {
  let parsed: Record<string, unknown> = {};
  try {
    const value: unknown = JSON.parse(answer.body);
    if (typeof value === "object" && value !== null) parsed = value as Record<string, unknown>;
  } catch {
    // Not JSON (a proxy's HTML page, an empty body): named by the status alone.
  }
  const text = (key: string) => (typeof parsed[key] === "string" ? (parsed[key] as string) : undefined);
  // As the SDK reads an error code: `GoneException:http://internal.amazon.com/...` or `aws.protocol#GoneException`.
  const type = answer.errorType ?? text("__type") ?? text("code");
  const name = type?.split(",")[0]?.split(":")[0]?.split("#").pop() || "Unknown";
  const message = text("message") ?? text("Message") ?? `@connections answered ${answer.status}`;
  return new ConnectionsApiError(name, answer.status, message);
}

/** No region to sign with: the endpoint names none and `AWS_REGION` is unset. */
export class MissingRegionError extends Error {
  override readonly name = "MissingRegionError";
}

/**
 * The region a request to an endpoint is signed for: the one in an `execute-api` host name (the API's own, even
 * when the function runs elsewhere), else the function's.
 * @param url - the endpoint
 * @param region - `AWS_REGION`, if set
 * @throws MissingRegionError when neither names one
 */
export function signingRegion(url: URL, region: string | undefined): string {
  const named = /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(url.hostname)?.[1];
  const chosen = named ?? region;
  if (chosen === undefined) {
    throw new MissingRegionError(`cannot sign for ${url.host}: set AWS_REGION (Lambda sets it)`);
  }
  return chosen;
}

/** How a sender is built. */
export interface ConnectionsOptions {
  /** Sends in flight per fan-out: the keep-alive agent keeps this many sockets. */
  concurrency: number;
  /** The function's region (`AWS_REGION`), for endpoints whose host name does not say theirs. */
  region: string | undefined;
  credentials: CredentialSource;
  /** Sends the signed requests; node:http(s) on a keep-alive agent unless a test gives its own. */
  exchange?: Exchange;
}

/**
 * PostToConnection for one endpoint (`https://{api}.execute-api.{region}.amazonaws.com/{stage}`, or a local one).
 */
export class ConnectionsApi {
  private readonly host: string;
  private readonly basePath: string;
  /** {@link canonicalUri} of `basePath/@connections`: the part of every send's canonical path that never changes. */
  private readonly canonicalBase: string;
  private readonly signer: SigV4;
  private readonly exchange: Exchange;
  /** The signing of the current payload in the current second: a fan-out posts one payload to every recipient. */
  private prepared: { data: Uint8Array | undefined; signing: PreparedSigning | undefined } = {
    data: undefined,
    signing: undefined,
  };

  /**
   * @param endpoint - the @connections base URL
   * @param options - concurrency, region, credentials
   * @throws MissingRegionError when no region can be signed for
   */
  constructor(endpoint: string, options: ConnectionsOptions) {
    const url = new URL(endpoint);
    this.host = url.host;
    this.basePath = url.pathname.replace(/\/+$/, "");
    this.canonicalBase = canonicalUri(`${this.basePath}/@connections`);
    this.signer = new SigV4({
      service: "execute-api",
      region: signingRegion(url, options.region),
      credentials: options.credentials,
    });
    this.exchange = options.exchange ?? nodeExchange(url, options.concurrency);
  }

  /**
   * Sends `data` to one connection as a text frame. Resolves on a 2xx answer; rejects with a
   * {@link ConnectionsApiError} for an error answer, the socket's error, or the signal's reason once it aborts.
   * The credentials are read once a second and per new payload (see {@link SigV4.prepare}).
   */
  readonly post: Send = async (connectionId, data, signal) => {
    const id = uriEscape(connectionId);
    const path = `${this.basePath}/@connections/${id}`;
    const headers = this.signing(data).sign(path, undefined, `${this.canonicalBase}/${uriEscape(id)}`);
    const request = { method: "POST", path, headers };
    const answer = await this.exchange(request, data, signal);
    if (answer.status < 200 || answer.status > 299) throw connectionsError(answer);
  };

  /** The prepared signing of this payload, made again for a new payload or a new second. */
  private signing(data: Uint8Array): PreparedSigning {
    let { signing } = this.prepared;
    if (
      this.prepared.data !== data ||
      signing === undefined ||
      signing.second !== Math.floor(Date.now() / 1000)
    ) {
      const payload = payloadHash(data);
      signing = this.signer.prepare({
        method: "POST",
        // What the SDK sends and signs for PostToConnection, minus its per-call extras (user agent, invocation id).
        headers: {
          "content-length": String(data.byteLength),
          "content-type": "application/octet-stream",
          host: this.host,
          "x-amz-content-sha256": payload,
        },
        payloadHash: payload,
      });
      this.prepared = { data, signing };
    }
    return signing;
  }
}

/**
 * The exchange over node:http or node:https: a keep-alive agent with one socket per send in flight, error bodies
 * read up to {@link ERROR_BODY_LIMIT}, a success's body drained. The signal destroys the request (and its socket).
 * @param url - the endpoint
 * @param concurrency - sockets kept
 */
function nodeExchange(url: URL, concurrency: number): Exchange {
  const https = url.protocol === "https:";
  // The default agent keeps no socket alive and caps nothing; a fan-out reuses one socket per worker.
  const agentOptions = { keepAlive: true, maxSockets: concurrency };
  const agent = https ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  const send = https ? httpsRequest : httpRequest;
  const hostname = url.hostname;
  const port = url.port;
  return (request, body, signal) =>
    new Promise<Answer>((resolve, reject) => {
      const req = send(
        {
          agent,
          hostname,
          port,
          method: request.method,
          path: request.path,
          headers: request.headers,
        },
        (res) => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status <= 299) {
            // The send succeeded; a connection that drops while its (empty) body drains changes nothing.
            res.on("error", () => undefined);
            res.resume();
            resolve({ status, errorType: undefined, body: "" });
            return;
          }
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            if (text.length < ERROR_BODY_LIMIT) text += chunk;
          });
          res.on("end", () => resolve({ status, errorType: errorTypeOf(res.headers), body: text }));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      // A listener rather than http.request's `signal` option, which costs about 9 us a send (npm run bench's
      // profile); the engine aborts only a send it gave up on.
      signal.addEventListener("abort", () => req.destroy(signal.reason as Error), { once: true });
      req.end(body);
    });
}

function errorTypeOf(headers: IncomingHttpHeaders): string | undefined {
  const value = headers["x-amzn-errortype"];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * One `Send` per endpoint, built on first use and kept for the life of the execution environment, so that warm
 * invocations reuse the agent, its open keep-alive sockets and the signer's derived key.
 */
export class ConnectionsSenders {
  private readonly senders = new Map<string, Send>();

  /** @param options - concurrency, region, credentials (and a test's exchange) of every sender */
  constructor(private readonly options: ConnectionsOptions) {}

  /**
   * The `Send` for an endpoint.
   * @param endpoint - the @connections base URL
   */
  for(endpoint: string): Send {
    let send = this.senders.get(endpoint);
    if (send === undefined) {
      send = new ConnectionsApi(endpoint, this.options).post;
      this.senders.set(endpoint, send);
    }
    return send;
  }
}
