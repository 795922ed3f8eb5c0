/** The @connections API of the local gateway: POST (send), GET (info), DELETE (close), with AWS's error types. */
import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { MAX_MESSAGE_BYTES } from "../../../src/contract/index.js";
import { browserRefusal } from "../browser-guard.js";
import { readBody } from "../http.js";

/** What the @connections API needs from the gateway. */
export interface ManagementTarget {
  stage: string;
  managementDelayMs: number;
  managementRateLimit: number;
  /** Sends to an open connection; false when it is gone (or being closed). */
  send(connectionId: string, body: Buffer): boolean;
  /** The connection's info (GET), or undefined when it is gone. */
  describe(connectionId: string): object | undefined;
  /** Closes an open connection with 1000; false when it is gone. */
  close(connectionId: string): boolean;
}

/** The request handler of the @connections API. */
export function managementHandler(
  target: ManagementTarget,
): (req: IncomingMessage, res: ServerResponse) => void {
  const limiter = rateLimiter(() => target.managementRateLimit);
  return (req, res) => {
    handle(target, limiter, req, res).catch((error: unknown) => {
      if (!res.headersSent) sendError(res, 500, "InternalServerErrorException", String(error));
    });
  };
}

async function handle(
  target: ManagementTarget,
  overLimit: () => boolean,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const match = /^\/([^/?]+)\/@connections\/([^/?]+)(?:\?.*)?$/.exec(req.url ?? "");
  if (!match || match[1] !== target.stage || !["POST", "GET", "DELETE"].includes(req.method ?? "")) {
    req.resume();
    return sendError(res, 403, "ForbiddenException", "Forbidden");
  }
  // A browser sends Origin; the AWS SDK and CLIs never do. Without this, any web page the developer visits could
  // publish into the local stack. The same refusal (and text) as the emulator's, in @connections' error shape.
  if (req.headers.origin !== undefined) {
    req.resume();
    return sendError(res, 403, "ForbiddenException", browserRefusal(req.headers.origin));
  }
  const connectionId = decodeId(match[2] as string);
  if (connectionId === undefined) {
    req.resume();
    return sendError(res, 400, "BadRequestException", "Invalid connectionId");
  }
  const body = req.method === "POST" ? await readBody(req, MAX_MESSAGE_BYTES) : Buffer.alloc(0);
  if (target.managementDelayMs > 0) await sleep(target.managementDelayMs);
  if (overLimit()) return sendError(res, 429, "LimitExceededException", "Rate exceeded");
  if (body === undefined) {
    return sendError(res, 413, "PayloadTooLargeException", `Message exceeds ${MAX_MESSAGE_BYTES} bytes`);
  }
  const gone = () => sendError(res, 410, "GoneException", `Connection ${connectionId} is gone`);
  if (req.method === "POST") {
    if (!target.send(connectionId, body)) return gone();
    res.writeHead(200, { "content-type": "application/json", "content-length": "0" }).end();
  } else if (req.method === "GET") {
    const info = target.describe(connectionId);
    if (!info) return gone();
    const text = JSON.stringify(info);
    res
      .writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) })
      .end(text);
  } else {
    if (!target.close(connectionId)) return gone();
    res.writeHead(204).end();
  }
}

/** The connection id of the path, or undefined when its percent-encoding is malformed (`%ZZ`). */
function decodeId(encoded: string): string | undefined {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
}

/**
 * API Gateway's account throttle as AWS describes it: a token bucket refilled at `limit()` requests a second that
 * holds at most half a second's worth (the account's 5,000 burst on 10,000 a second), full at the start. Returns
 * true for a request over the limit (0 = unlimited). A bucket rather than a per-second window: requests that reach
 * a busy process late must not count against the wrong second.
 * @param limit - the rate, read on every request so that it can change at run time
 * @param now - the clock, milliseconds
 */
export function rateLimiter(limit: () => number, now: () => number = () => performance.now()): () => boolean {
  let tokens = Number.NaN;
  let at = 0;
  return () => {
    const rate = limit();
    if (rate <= 0) return false;
    const capacity = Math.max(1, rate / 2);
    const t = now();
    tokens = Number.isNaN(tokens) ? capacity : Math.min(capacity, tokens + ((t - at) / 1000) * rate);
    at = t;
    if (tokens < 1) return true;
    tokens -= 1;
    return false;
  };
}

/** An error in AWS's shape: JSON `{message}` and the `x-amzn-ErrorType` header the SDK maps errors by. */
function sendError(res: ServerResponse, status: number, errorType: string, message: string): void {
  const body = JSON.stringify({ message });
  res
    .writeHead(status, {
      "content-type": "application/json",
      "content-length": Buffer.byteLength(body),
      "x-amzn-ErrorType": errorType,
    })
    .end(body);
}
