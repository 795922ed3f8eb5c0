/**
 * The shard job, what one queue message of a sharded fan-out carries, with both ends of its codec: the dispatch
 * writes jobs ({@link shardJobs}, {@link encodeShardJob}) and the shard worker reads them ({@link parseShardJob},
 * {@link shardFrame}), so the format changes in one place.
 */
import { LAMBDA_ENV } from "../contract/environment.js";
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
  /**
   * When the fan-out was dispatched (epoch ms, the dispatching function's clock): the shard's audience is who was
   * there then ({@link audienceBoundary}), and a redelivery is judged by its age from it ({@link tooLateToReplay}).
   */
  dispatchedAt: number;
}

/**
 * How much later than the dispatch a recipient's key may have been written and still count as there at the
 * dispatch. S3's `LastModified` has whole seconds (up to 1 s off the moment of the write, whether S3 truncates or
 * rounds), and the dispatching function's clock and S3's may differ (both keep to Amazon Time Sync, within
 * milliseconds; 1 s is allowed). So every key written before the dispatch is in the audience, a key written more
 * than 4 s after it is not (2 s of margin, 1 s of resolution, 1 s of skew), and one in between may be either, as a
 * connection made during an inline fan-out may or may not be listed.
 */
const AUDIENCE_MARGIN_MS = 2000;

/**
 * The audience boundary of a job: its shard lists only recipients whose connection (everyone) or membership
 * (channel) key was written by then, on the first run and on every redelivery alike, so a shard that runs late never
 * reaches clients who arrived after the message.
 * @param job - the job
 */
export function audienceBoundary(job: ShardJob): number {
  return job.dispatchedAt + AUDIENCE_MARGIN_MS;
}

/**
 * Why a received job must not run, or undefined when it may: a redelivery (the queue's receive count above 1: a
 * worker failed or was killed with it) more than `maxAgeMs` after its dispatch. A first receive always runs, however
 * late (shards beyond the mapping's concurrency wait their turn), and within the bound a redelivery replays the
 * shard to its audience boundary; past it, the frame is stale news, and the job goes to the dead-letter queue with
 * this reason instead.
 * @param job - the job
 * @param receiveCount - the record's `ApproximateReceiveCount`
 * @param now - the worker's clock (epoch ms)
 * @param maxAgeMs - `FANOUT_SHARD_MAX_AGE_SECONDS` in milliseconds
 */
export function tooLateToReplay(
  job: ShardJob,
  receiveCount: number,
  now: number,
  maxAgeMs: number,
): string | undefined {
  const ageMs = now - job.dispatchedAt;
  if (receiveCount <= 1 || ageMs <= maxAgeMs) return undefined;
  const bound = `${maxAgeMs / 1000} s bound (${LAMBDA_ENV.fanoutShardMaxAgeSeconds})`;
  return `redelivered (receive ${receiveCount}) ${(ageMs / 1000).toFixed(1)} s after its dispatch, past the ${bound}: not replayed`;
}

/** Where the shard worker sets a job aside that it will not run: the shard dead-letter queue. */
export interface ShardDeadLetters {
  /**
   * Puts a job's message body in the dead-letter queue with a `reason` message attribute.
   * @param body - the queue message's body, unchanged, so that a redrive runs the job as it was
   * @param reason - why, for the operator who looks at it
   */
  setAside(body: string, reason: string): Promise<void>;
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
 * @param fanout - who receives it, the frame, how many shards, the dispatching event's endpoint, request id and time
 */
export function shardJobs(fanout: {
  audience: Audience;
  data: Uint8Array;
  shards: number;
  endpoint: string;
  dispatchId: string;
  dispatchedAt: number;
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
    dispatchedAt: fanout.dispatchedAt,
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
 * @param sentAt - when the queue received the message (its `SentTimestamp`): the dispatch time of a job written
 *   before jobs carried one (enqueued by the previous release during a deployment)
 */
export function parseShardJob(body: unknown, sentAt?: number): Result<ShardJob, string> {
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
  const dispatchedAt = job.dispatchedAt ?? sentAt;
  if (typeof dispatchedAt !== "number" || !Number.isFinite(dispatchedAt)) {
    return refused("dispatchedAt is missing or not a time");
  }
  return { ok: true, value: { ...(job as unknown as ShardJob), dispatchedAt } };
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
