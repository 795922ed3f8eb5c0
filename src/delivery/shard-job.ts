/**
 * The shard job, what one queue message of a sharded fan-out carries, with both ends of its codec: the dispatch
 * writes jobs ({@link shardJobs}, {@link encodeShardJob}) and the shard worker reads them ({@link parseShardJob},
 * {@link shardFrame}), so the format changes in one place.
 */
import type { Result } from "../contract/result.js";
import { type BucketRange, isBucketRange, splitBuckets } from "../contract/storage.js";
import type { Audience } from "./audience.js";

/** One shard of a fan-out: what a queue message carries. */
export interface ShardJob {
  /** The message format; a worker refuses others. */
  v: 1;
  /** Who receives it. */
  audience: Audience;
  /** The buckets this shard lists. */
  range: BucketRange;
  /** The shard's place, `index` of `count` (0-based), for the logs. */
  shard: { index: number; count: number };
  /** The @connections endpoint of the dispatching event (the worker prefers a configured one). */
  endpoint: string;
  /** The frame, base64: JSON-escaping could double a 128 KB frame past a queue message's 256 KiB. */
  data: string;
  /** The request id of the invocation that dispatched it, to join its shards' log lines. */
  dispatchId: string;
}

/** Sends shard jobs to the queue. */
export interface ShardQueue {
  /**
   * Enqueues every job or throws.
   * @throws ShardQueueError naming how many jobs were not accepted
   */
  enqueue(jobs: readonly ShardJob[]): Promise<void>;
}

/** Some jobs could not be enqueued; those that were will run. */
export class ShardQueueError extends Error {
  override readonly name = "ShardQueueError";

  /**
   * @param failed - jobs not enqueued
   * @param total - jobs of the fan-out
   * @param options - the queue's error
   */
  constructor(
    readonly failed: number,
    readonly total: number,
    options?: ErrorOptions,
  ) {
    super(`${failed} of ${total} fan-out shards could not be enqueued`, options);
  }
}

/**
 * The jobs of one sharded fan-out: one per bucket range, each carrying the frame.
 * @param fanout - who receives it, the frame, how many shards, the dispatching event's endpoint and request id
 */
export function shardJobs(fanout: {
  audience: Audience;
  data: Uint8Array;
  shards: number;
  endpoint: string;
  dispatchId: string;
}): ShardJob[] {
  const ranges = splitBuckets(fanout.shards);
  const data = Buffer.from(fanout.data).toString("base64");
  return ranges.map((range, index) => ({
    v: 1,
    audience: fanout.audience,
    range,
    shard: { index, count: ranges.length },
    endpoint: fanout.endpoint,
    data,
    dispatchId: fanout.dispatchId,
  }));
}

/**
 * A job as a queue message body.
 * @param job - the job
 */
export function encodeShardJob(job: ShardJob): string {
  return JSON.stringify(job);
}

/**
 * Reads a shard job from a queue message body, or says why it is not one.
 * @param body - the message body
 */
export function parseShardJob(body: unknown): Result<ShardJob, string> {
  let value: unknown;
  try {
    value = typeof body === "string" ? JSON.parse(body) : undefined;
  } catch {
    return refused("the message body is not JSON");
  }
  if (typeof value !== "object" || value === null) return refused("the message is not a JSON object");
  const job = value as Record<string, unknown>;
  if (job.v !== 1) return refused(`unknown shard job version ${JSON.stringify(job.v)}`);
  const audience = job.audience as Record<string, unknown> | null | undefined;
  const audienceOk =
    typeof audience === "object" &&
    audience !== null &&
    (audience.kind === "everyone" || (audience.kind === "channel" && typeof audience.channel === "string"));
  if (!audienceOk) return refused("the audience is missing or malformed");
  if (!isBucketRange(job.range)) return refused("the bucket range is missing or malformed");
  const shard = job.shard as Record<string, unknown> | null | undefined;
  if (
    typeof shard !== "object" ||
    shard === null ||
    !Number.isInteger(shard.index) ||
    !Number.isInteger(shard.count)
  ) {
    return refused("the shard position is missing or malformed");
  }
  if (
    typeof job.endpoint !== "string" ||
    typeof job.data !== "string" ||
    typeof job.dispatchId !== "string"
  ) {
    return refused("endpoint, data or dispatchId is missing");
  }
  return { ok: true, value: job as unknown as ShardJob };
}

/**
 * The frame a job carries, as the bytes to send.
 * @param job - a job read by {@link parseShardJob}
 */
export function shardFrame(job: ShardJob): Uint8Array {
  return Buffer.from(job.data, "base64");
}

function refused(reason: string): Result<ShardJob, string> {
  return { ok: false, error: reason };
}
