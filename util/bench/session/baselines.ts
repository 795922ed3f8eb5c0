/**
 * The algorithms ours is measured against. They live here, not in `src/`: they are yardsticks, not product code.
 * Each lists the connection ids from S3 as the real ones do, then sends one request per recipient.
 */
import http from "node:http";
import {
  ApiGatewayManagementApiClient,
  GoneException,
  PostToConnectionCommand,
} from "@aws-sdk/client-apigatewaymanagementapi";
import { DeleteObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { connectionKey } from "../../../src/contract/index.js";
import { listConnectionIdPages, listConnectionIds } from "../../lib/s3-keys.js";
import type { DriverTarget } from "./ipc.js";

/** Outcome of one fan-out. */
export interface SendCount {
  sent: number;
  failed: number;
  firstError?: string;
}

/** The SDK client as the peers build it: defaults throughout. */
export function defaultManagementClient(target: DriverTarget): ApiGatewayManagementApiClient {
  return new ApiGatewayManagementApiClient({
    endpoint: target.management_endpoint,
    region: target.region,
    credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
  });
}

const isGone = (e: unknown) =>
  e instanceof GoneException ||
  (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 410;

function countFailure(count: SendCount, error: unknown): void {
  count.failed += 1;
  count.firstError ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * How each peer sends once it has listed every key. The seed: one PostToConnection after the other. The AWS sample
 * (simple-websockets-chat-app, sendmessage): every PostToConnection started at once and awaited with Promise.all;
 * the SDK's default agent caps sockets at 50, so the burst queues in the client rather than on the wire here, while
 * on AWS it is what meets the account's 10,000 requests/s throttle. Both delete a key on Gone.
 */
const PEER_SEND_ORDERS = {
  seed: async (ids: string[], post: (id: string) => Promise<void>) => {
    for (const id of ids) await post(id);
  },
  "aws-sample": async (ids: string[], post: (id: string) => Promise<void>) => {
    await Promise.all(ids.map(post));
  },
} as const;

/**
 * A peer's algorithm: list every connection id first, then post to each in the peer's order.
 * @param peer - the seed or the AWS sample
 */
export async function peerFanout(
  peer: keyof typeof PEER_SEND_ORDERS,
  s3: S3Client,
  api: ApiGatewayManagementApiClient,
  target: DriverTarget,
  data: Uint8Array,
): Promise<SendCount> {
  const count: SendCount = { sent: 0, failed: 0 };
  const ids = await listConnectionIds(s3, target.connection_bucket, target.connection_prefix);
  await PEER_SEND_ORDERS[peer](ids, (id) => postOne(s3, api, target, data, id, count));
  return count;
}

/** One recipient as both peers send it: PostToConnection, and on Gone the key deleted right away (one call each). */
async function postOne(
  s3: S3Client,
  api: ApiGatewayManagementApiClient,
  target: DriverTarget,
  data: Uint8Array,
  id: string,
  count: SendCount,
): Promise<void> {
  try {
    await api.send(new PostToConnectionCommand({ ConnectionId: id, Data: data }));
    count.sent += 1;
  } catch (error) {
    if (isGone(error))
      await s3.send(
        new DeleteObjectCommand({
          Bucket: target.connection_bucket,
          Key: connectionKey(target.connection_prefix, id),
        }),
      );
    countFailure(count, error);
  }
}

/** In-flight requests of the HTTP ceiling: enough to keep a loopback server busy, as the probes showed. */
const HTTP_CEILING_CONCURRENCY = 256;

/** The HTTP ceiling's agent: keep-alive, one socket per request in flight, kept between runs as a warm Lambda would. */
export function httpCeilingAgent(): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: HTTP_CEILING_CONCURRENCY });
}

/**
 * The HTTP ceiling: bare `http.request` POSTs (no SDK, no signing) with a keep-alive agent and a fixed number in
 * flight, sending while later pages of keys load. The limit of any design that sends one request per recipient.
 */
export async function httpCeilingFanout(
  s3: S3Client,
  agent: http.Agent,
  target: DriverTarget,
  data: Uint8Array,
): Promise<SendCount> {
  const base = new URL(target.management_endpoint);
  const count: SendCount = { sent: 0, failed: 0 };
  const queue: string[] = [];
  let listing = true;
  const waiting: (() => void)[] = [];
  const wakeAll = () => {
    for (const resolve of waiting.splice(0)) resolve();
  };
  const post = (id: string, retried = false): Promise<void> =>
    new Promise<void>((resolve) => {
      const req = http.request(
        {
          agent,
          method: "POST",
          host: base.hostname,
          port: base.port,
          path: `${base.pathname.replace(/\/$/, "")}/@connections/${encodeURIComponent(id)}`,
          headers: { "content-length": data.byteLength },
        },
        (res) => {
          res.resume();
          res.on("end", () => {
            if (res.statusCode === 200) count.sent += 1;
            else countFailure(count, new Error(`HTTP ${res.statusCode}`));
            resolve();
          });
        },
      );
      req.on("error", (error: NodeJS.ErrnoException) => {
        // A kept-alive socket the server closed while idle: Node's documented remedy is one retry.
        if (
          req.reusedSocket &&
          !retried &&
          (error.code === "ECONNRESET" || error.message === "socket hang up")
        ) {
          resolve(post(id, true));
          return;
        }
        countFailure(count, error);
        resolve();
      });
      req.end(data);
    });
  const lane = async () => {
    for (;;) {
      const id = queue.pop();
      if (id !== undefined) await post(id);
      else if (!listing) return;
      else await new Promise<void>((resolve) => waiting.push(resolve));
    }
  };
  const lanes = Array.from({ length: HTTP_CEILING_CONCURRENCY }, lane);
  try {
    for await (const page of listConnectionIdPages(s3, target.connection_bucket, target.connection_prefix)) {
      queue.push(...page);
      wakeAll();
    }
  } finally {
    listing = false;
    wakeAll();
  }
  await Promise.all(lanes);
  return count;
}
