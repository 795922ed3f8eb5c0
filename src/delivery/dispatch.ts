/**
 * Where a fan-out goes, and how: in the invocation that asked for it when it is small, else cut into shards, each a
 * queue message that one worker invocation lists and sends on its own (docs/scaling.md). Client broadcasts, channel
 * publishes and SNS messages all hand their fan-out to {@link Dispatch}, so they shard the same way; the shard
 * worker's side, {@link runShard}, is here too.
 */
import type { Log } from "../app/log.js";
import { ALL_BUCKETS } from "../contract/storage.js";
import type { ConnectionStore } from "../stores/connections.js";
import { type Audience, type AudienceSource, describeAudience } from "./audience.js";
import {
  emptySummary,
  type FanoutDependencies,
  type FanoutOptions,
  type FanoutSummary,
  fanOut,
  ListingFailedError,
  logFanout,
} from "./engine.js";
import type { Send } from "./send-policy.js";
import { audienceBoundary, type ShardJob, type ShardQueue, shardFrame, shardJobs } from "./shard-job.js";

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
  /** The clock that dates shard jobs (epoch ms); `Date.now` when omitted. */
  now?: () => number;
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
 * @throws ListingFailedError when listing failed (an inline fan-out has sent to every id already listed)
 * @throws ShardQueueError when some shards could not be enqueued (the others will run)
 */
export function createDispatch(deps: DispatchDependencies, settings: DispatchSettings): Dispatch {
  return async (audience, data) => {
    const described = describeAudience(audience);
    const engine = { store: removingGone(deps.store, deps.source, audience), send: deps.send, log: deps.log };
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
      const error = new ListingFailedError(emptySummary(), { cause: probe.error });
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

    const jobs = shardJobs({
      audience,
      data,
      shards: settings.shards,
      endpoint: deps.endpoint,
      dispatchId: deps.dispatchId,
      dispatchedAt: (deps.now ?? Date.now)(),
    });
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

/** What a shard worker needs. */
export interface ShardWorkerDependencies {
  /** Lists each job's audience within its buckets. */
  source: AudienceSource;
  /** Where gone recipients are removed. */
  store: ConnectionStore;
  /** The `Send` of an @connections endpoint: the configured one if any, else the job's. */
  sendFor: (jobEndpoint: string) => Send;
  /** The invocation's logger. */
  log: Log;
  /** Waits for each send's turn; the shard's share of the account's @connections throttle. */
  pace: (() => Promise<void>) | undefined;
  /** The engine's settings. */
  fanout: Partial<FanoutOptions>;
}

/**
 * Runs one shard job: lists the job's audience within its buckets only, as it was at the dispatch (recipients whose
 * key was written later are left out, see `audienceBoundary`), and sends its frame to them, paced, and logs the
 * summary. Failed sends (timeouts, exhausted throttle retries) are counted in the summary, as in one
 * invocation; only a failed listing throws, so that the queue runs the shard again.
 * @param deps - see {@link ShardWorkerDependencies}
 * @param job - a job read by `parseShardJob`
 * @throws ListingFailedError when listing the audience failed (logged)
 */
export async function runShard(deps: ShardWorkerDependencies, job: ShardJob): Promise<FanoutSummary> {
  const engine = {
    store: removingGone(deps.store, deps.source, job.audience),
    source: deps.source.pages(job.audience, job.range, audienceBoundary(job)),
    send: deps.sendFor(job.endpoint),
    log: deps.log,
    pace: deps.pace,
  };
  return await runLogged(deps.log, () => fanOut(engine, shardFrame(job), deps.fanout));
}

/**
 * The store a fan-out removes its gone recipients through: the connection store (with every membership, through the
 * reverse index) and, beside it, what the audience's own listing showed (a channel's member key).
 */
function removingGone(
  store: ConnectionStore,
  source: AudienceSource,
  audience: Audience,
): FanoutDependencies["store"] {
  return {
    async removeMany(connectionIds) {
      const results = await Promise.allSettled([
        store.removeMany(connectionIds),
        source.removeGone(audience, connectionIds),
      ]);
      for (const result of results) if (result.status === "rejected") throw result.reason;
    },
    pages: (range, writtenBy) => store.pages(range, writtenBy),
  };
}

async function runLogged(log: Log, run: () => Promise<FanoutSummary>): Promise<FanoutSummary> {
  try {
    const summary = await run();
    logFanout(log, summary);
    return summary;
  } catch (error) {
    if (error instanceof ListingFailedError) logFanout(log, error);
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
