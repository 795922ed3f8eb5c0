import type { ConnectionStore } from "./connections.js";
import { ALL_BUCKETS, type BucketRange, isBucketRange, splitBuckets } from "./contract/storage.js";
import {
  emptySummary,
  FanoutError,
  type FanoutOptions,
  type FanoutSummary,
  fanOut,
  logFanout,
  type Send,
} from "./fanout.js";
import type { Log } from "./log.js";
import type { MembershipStore } from "./memberships.js";

/**
 * Where a fan-out goes, and how: in the invocation that asked for it when it is small, else cut into shards, each a
 * queue message that one worker invocation lists and sends on its own (docs/scaling.md). Client broadcasts, channel
 * publishes and SNS messages all hand their fan-out to {@link Dispatch}, so they shard the same way.
 */

/** Who receives a fan-out: every connection, or the members of one channel. */
export type Audience = { kind: "everyone" } | { kind: "channel"; channel: string };

/** The audience of a broadcast and of an SNS message without a channel. */
export const EVERYONE: Audience = Object.freeze({ kind: "everyone" });

/** Lists an audience's connection ids within some buckets, a page at a time. */
export interface AudienceSource {
  /**
   * @param audience - everyone, or one channel
   * @param range - the buckets (`shards.ts`)
   */
  pages(audience: Audience, range: BucketRange): AsyncIterable<string[]>;
}

/** A channel fan-out reached a source without a membership store. */
export class NoMembershipsError extends Error {
  override readonly name = "NoMembershipsError";
}

/**
 * The audience source over the stores: everyone from the connection store, a channel from the membership store.
 * @param store - the connection store
 * @param memberships - the membership store; without it a channel audience fails with {@link NoMembershipsError}
 */
export function storeAudience(store: ConnectionStore, memberships?: MembershipStore): AudienceSource {
  return {
    pages(audience, range) {
      if (audience.kind === "everyone") return store.pages(range);
      if (memberships === undefined) {
        throw new NoMembershipsError("this function has no membership store; channel fan-outs need one");
      }
      return memberships.members(audience.channel, range);
    },
  };
}

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
 * Reads a shard job from a queue message body, or says why it is not one.
 * @param body - the message body
 */
export function parseShardJob(body: unknown): { ok: true; job: ShardJob } | { ok: false; reason: string } {
  let value: unknown;
  try {
    value = typeof body === "string" ? JSON.parse(body) : undefined;
  } catch {
    return { ok: false, reason: "the message body is not JSON" };
  }
  if (typeof value !== "object" || value === null)
    return { ok: false, reason: "the message is not a JSON object" };
  const job = value as Record<string, unknown>;
  if (job.v !== 1) return { ok: false, reason: `unknown shard job version ${JSON.stringify(job.v)}` };
  const audience = job.audience as Record<string, unknown> | null | undefined;
  const audienceOk =
    typeof audience === "object" &&
    audience !== null &&
    (audience.kind === "everyone" || (audience.kind === "channel" && typeof audience.channel === "string"));
  if (!audienceOk) return { ok: false, reason: "the audience is missing or malformed" };
  if (!isBucketRange(job.range)) return { ok: false, reason: "the bucket range is missing or malformed" };
  const shard = job.shard as Record<string, unknown> | null | undefined;
  if (
    typeof shard !== "object" ||
    shard === null ||
    !Number.isInteger(shard.index) ||
    !Number.isInteger(shard.count)
  ) {
    return { ok: false, reason: "the shard position is missing or malformed" };
  }
  if (
    typeof job.endpoint !== "string" ||
    typeof job.data !== "string" ||
    typeof job.dispatchId !== "string"
  ) {
    return { ok: false, reason: "endpoint, data or dispatchId is missing" };
  }
  return { ok: true, job: job as unknown as ShardJob };
}

/** What a dispatch did. */
export type DispatchResult =
  /** Small: sent in this invocation; the summary says what was done. */
  | { mode: "inline"; summary: FanoutSummary }
  /** Large: `shards` jobs enqueued, after `probed` recipients had been listed to decide. */
  | { mode: "sharded"; shards: number; probed: number };

/** Hands a fan-out off: `dispatch(audience, frame)`. */
export type Dispatch = (audience: Audience, data: Uint8Array) => Promise<DispatchResult>;

/** What {@link createDispatch} needs. */
export interface DispatchDependencies {
  /** Lists the audience. */
  source: AudienceSource;
  /** Where gone recipients of an inline fan-out are removed. */
  store: ConnectionStore;
  /** Sends through this event's @connections endpoint. */
  send: Send;
  /** That endpoint, written into shard jobs. */
  endpoint: string;
  /** The shard queue; without one, every fan-out runs inline (as before shards existed). */
  queue: ShardQueue | undefined;
  /** The invocation's logger: one dispatch line per fan-out, and the summary of an inline one. */
  log: Log;
  /** The invocation's request id, copied into shard jobs. */
  dispatchId: string;
}

/** How {@link createDispatch} decides and sends. */
export interface DispatchSettings {
  /** Shards of a large fan-out. */
  shards: number;
  /** The most recipients a fan-out may have to run inline. */
  inlineMax: number;
  /** The engine's settings for an inline fan-out. */
  fanout: Partial<FanoutOptions>;
}

/**
 * Makes the `dispatch(audience, frame)` of one invocation. A dispatch lists the audience until it has seen more
 * than `inlineMax` recipients or the end: a small audience is then sent to at once from the pages already listed
 * (no second listing, no queue hop); a large one becomes `shards` queue messages, one per bucket range, and the
 * dispatch returns without sending. It logs one line, `fan-out dispatched`, and the summary of an inline fan-out.
 * @param deps - see {@link DispatchDependencies}
 * @param settings - see {@link DispatchSettings}
 * @throws FanoutError when listing failed (an inline fan-out has sent to every id already listed)
 * @throws ShardQueueError when some shards could not be enqueued (the others will run)
 */
export function createDispatch(deps: DispatchDependencies, settings: DispatchSettings): Dispatch {
  return async (audience, data) => {
    const described = describeAudience(audience);
    const engine = { store: deps.store, send: deps.send, log: deps.log };
    if (deps.queue === undefined) {
      deps.log.info("fan-out dispatched", { ...described, mode: "inline", reason: "no shard queue" });
      return {
        mode: "inline",
        summary: await runLogged(deps.log, () =>
          fanOut({ ...engine, source: deps.source.pages(audience, ALL_BUCKETS) }, data, settings.fanout),
        ),
      };
    }

    const probe = await probeAudience(() => deps.source.pages(audience, ALL_BUCKETS), settings.inlineMax);
    if (probe.failed) {
      const error = new FanoutError(emptySummary(), { cause: probe.error });
      logFanout(deps.log, error);
      throw error;
    }
    if (probe.complete) {
      deps.log.info("fan-out dispatched", { ...described, mode: "inline", recipients: probe.count });
      return {
        mode: "inline",
        summary: await runLogged(deps.log, () =>
          fanOut({ ...engine, source: replay(probe.pages) }, data, settings.fanout),
        ),
      };
    }

    const ranges = splitBuckets(settings.shards);
    const encoded = Buffer.from(data).toString("base64");
    const jobs: ShardJob[] = ranges.map((range, index) => ({
      v: 1,
      audience,
      range,
      shard: { index, count: ranges.length },
      endpoint: deps.endpoint,
      data: encoded,
      dispatchId: deps.dispatchId,
    }));
    try {
      await deps.queue.enqueue(jobs);
    } catch (error) {
      deps.log.error("fan-out dispatch failed: shards not enqueued", { ...described, error });
      throw error;
    }
    deps.log.info("fan-out dispatched", {
      ...described,
      mode: "sharded",
      shards: jobs.length,
      probed: probe.count,
    });
    return { mode: "sharded", shards: jobs.length, probed: probe.count };
  };
}

/** The audience as log keys. */
export function describeAudience(audience: Audience): { audience: string; channel?: string } {
  return audience.kind === "channel"
    ? { audience: "channel", channel: audience.channel }
    : { audience: "everyone" };
}

async function runLogged(log: Log, run: () => Promise<FanoutSummary>): Promise<FanoutSummary> {
  try {
    const summary = await run();
    logFanout(log, summary);
    return summary;
  } catch (error) {
    if (error instanceof FanoutError) logFanout(log, error);
    throw error;
  }
}

/** The first pages of a listing: all of them when `complete`, else just past `limit` ids. */
type Probe =
  | { failed: false; complete: boolean; count: number; pages: string[][] }
  | { failed: true; error: unknown };

async function probeAudience(source: () => AsyncIterable<string[]>, limit: number): Promise<Probe> {
  const pages: string[][] = [];
  let count = 0;
  try {
    for await (const page of source()) {
      pages.push(page);
      count += page.length;
      // Leaving the loop closes the listing: no page beyond the one that crossed the limit is read.
      if (count > limit) return { failed: false, complete: false, count, pages };
    }
  } catch (error) {
    return { failed: true, error };
  }
  return { failed: false, complete: true, count, pages };
}

async function* replay(pages: readonly string[][]): AsyncIterable<string[]> {
  for (const page of pages) yield page;
}
