/**
 * The fan-out engine: sends one payload to every id of a source of pages with bounded concurrency, removes the
 * recipients that have gone, counts the rest, and reports one summary. What one failed send means is the send
 * policy's (`send-policy.ts`); where the ids come from and whether to run here at all is the dispatch's.
 */
import type { Log } from "../app/log.js";
import { DEFAULT_FANOUT_CONCURRENCY, DEFAULT_FANOUT_SEND_TIMEOUT_MS } from "../contract/environment.js";
import type { ConnectionStore } from "../stores/connections.js";
import {
  classifySendFailure,
  type RetrySettings,
  type RetryState,
  type Send,
  sendWithTimeout,
} from "./send-policy.js";

/** How one fan-out behaves. */
export interface FanoutOptions extends RetrySettings {
  /** Sends in flight at once. */
  concurrency: number;
  /** The longest one send may take; a hung send counts as failed and frees its worker. */
  sendTimeoutMs: number;
  /** Pages of connection ids loaded ahead of the senders. */
  prefetchPages: number;
}

/**
 * Defaults. Throttle retries: 3 with full jitter from 100 ms, because API Gateway's account throttle refills
 * every second and jitter spreads the retries of many workers (AWS Architecture Blog, "Exponential Backoff And
 * Jitter"); a recipient still throttled after ~1.5 s is counted as failed rather than holding the fan-out.
 */
const DEFAULT_FANOUT_OPTIONS: FanoutOptions = {
  concurrency: DEFAULT_FANOUT_CONCURRENCY,
  sendTimeoutMs: DEFAULT_FANOUT_SEND_TIMEOUT_MS,
  throttleRetries: 3,
  retryBaseDelayMs: 100,
  retryMaxDelayMs: 1000,
  prefetchPages: 2,
};

/** Gone recipients are removed this many at a time: S3 DeleteObjects takes at most 1,000 keys. */
const STALE_BATCH_SIZE = 1000;

/** What a fan-out did. `recipients` = `delivered` + `gone` + `failed`. */
export interface FanoutSummary {
  /** Connection ids listed and attempted. */
  recipients: number;
  /** Sends that succeeded. */
  delivered: number;
  /** Recipients that had gone (410); their keys are removed. */
  gone: number;
  /** Sends that failed for any other reason, timeouts and exhausted throttle retries included. */
  failed: number;
  /** Of `failed`, the sends that exceeded the per-call timeout. */
  timedOut: number;
  /** Retries after a throttled (429) send. */
  throttledRetries: number;
  /** Retries after a kept-alive connection turned out to be closed (see `isConnectionReset` of `send-policy.ts`). */
  resetRetries: number;
  /** Stale keys removed from the store. */
  staleDeleted: number;
  /** Stale keys that could not be removed (a lifecycle rule sweeps them later). */
  staleDeleteFailed: number;
  /** Failures by error name, so that one log line explains them without one line per recipient. */
  failureReasons: Record<string, number>;
  /** Wall time of the fan-out. */
  durationMs: number;
}

/** What the engine needs; tests and the benchmark pass their own. */
export interface FanoutDependencies {
  /** Where gone recipients are removed, and the ids come from when `source` is not given. */
  store: Pick<ConnectionStore, "removeMany" | "pages">;
  /**
   * The ids to send to, a page at a time; `store.pages()` (every connection) when omitted. Some buckets of the
   * store (`store.pages(range)`, see the buckets of `src/contract/storage.ts`) let several invocations share one fan-out.
   */
  source?: AsyncIterable<string[]>;
  /** Sends to one connection. */
  send: Send;
  /**
   * Waits for the next send's turn (see `pacing.ts`): shards pace themselves under their share of the account's
   * @connections throttle. Called before every attempt, retries included, since each is a request. Unpaced when
   * omitted.
   */
  pace?: () => Promise<void>;
  /** Receives the rare failure to remove stale keys; omitted, nothing is logged. The caller logs the summary. */
  log?: Log;
  /** Waits before a retry; replaceable so tests need not wait. */
  sleep?: (ms: number) => Promise<void>;
  /** A number in [0, 1) for the jitter. */
  random?: () => number;
}

/**
 * Listing the audience (the connection store or a channel's members) failed; the ids already listed were still
 * sent. `summary` says what was done.
 */
export class ListingFailedError extends Error {
  override readonly name = "ListingFailedError";

  /**
   * @param summary - what the fan-out did before and after the failure
   * @param options - the store's error
   */
  constructor(
    readonly summary: FanoutSummary,
    options: ErrorOptions,
  ) {
    super(`listing the connection store failed after ${summary.recipients} recipients`, options);
  }
}

/**
 * Sends one payload to every id of a source of pages: pages are listed while earlier ones are being sent,
 * `concurrency` workers share the ids, gone recipients are removed in batches, failed sends are retried as
 * {@link classifySendFailure} decides, and no failure stops the others. It logs nothing but a failed removal of
 * stale keys: the caller logs the summary ({@link logFanout}).
 * @param deps - the store, the send function and optionally the id source, log, sleep and random source
 * @param data - the payload, serialised once by the caller
 * @param options - overrides of `DEFAULT_FANOUT_OPTIONS`
 * @returns the summary
 * @throws ListingFailedError when listing failed (after sending to every id already listed)
 */
export async function fanOut(
  deps: FanoutDependencies,
  data: Uint8Array,
  options: Partial<FanoutOptions> = {},
): Promise<FanoutSummary> {
  const settings = { ...DEFAULT_FANOUT_OPTIONS, ...options };
  // Zero workers or zero prefetch would wait forever for each other.
  const concurrency = Math.max(1, settings.concurrency);
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = deps.random ?? Math.random;
  const started = performance.now();
  const summary = emptySummary();

  const feed = new IdFeed(Math.max(1, settings.prefetchPages));
  const listing = feed.fill(deps.source ?? deps.store.pages());

  let stale: string[] = [];
  const removals: Promise<void>[] = [];
  const removeStale = (ids: string[]): void => {
    removals.push(
      deps.store.removeMany(ids).then(
        () => {
          summary.staleDeleted += ids.length;
        },
        (error: unknown) => {
          summary.staleDeleteFailed += ids.length;
          deps.log?.warn("removing stale connections failed", { error, count: ids.length });
        },
      ),
    );
  };

  const deliver = async (connectionId: string): Promise<void> => {
    const state: RetryState = { resets: 0, throttles: 0 };
    for (;;) {
      try {
        if (deps.pace) await deps.pace();
        await sendWithTimeout(deps.send, connectionId, data, settings.sendTimeoutMs);
        summary.delivered++;
        return;
      } catch (error) {
        const outcome = classifySendFailure(error, state, settings);
        switch (outcome.kind) {
          case "retryNow":
            state.resets++;
            summary.resetRetries++;
            continue;
          case "retryAfter":
            state.throttles++;
            summary.throttledRetries++;
            await sleep(random() * outcome.ceilingMs);
            continue;
          case "gone":
            summary.gone++;
            stale.push(connectionId);
            if (stale.length >= STALE_BATCH_SIZE) {
              removeStale(stale);
              stale = [];
            }
            return;
          case "fail":
            summary.failed++;
            if (outcome.timedOut) summary.timedOut++;
            summary.failureReasons[outcome.reason] = (summary.failureReasons[outcome.reason] ?? 0) + 1;
            return;
        }
      }
    }
  };

  const worker = async (): Promise<void> => {
    for (;;) {
      const connectionId = feed.take();
      if (connectionId !== undefined) {
        summary.recipients++;
        await deliver(connectionId);
      } else if (feed.finished) {
        return;
      } else {
        await feed.more();
      }
    }
  };

  await Promise.all(Array.from({ length: concurrency }, worker));
  await listing;
  if (stale.length > 0) removeStale(stale);
  await Promise.all(removals);
  summary.durationMs = Math.round(performance.now() - started);

  if (feed.failed) throw new ListingFailedError(summary, { cause: feed.error });
  return summary;
}

/**
 * Logs what a fan-out did, in one line: INFO when every recipient was reached or gone, WARN when some failed or
 * stale keys stayed, ERROR with the store's error when listing failed.
 * @param log - the invocation's logger
 * @param result - the summary, or what `fanOut` threw
 */
export function logFanout(log: Log, result: FanoutSummary | ListingFailedError): void {
  if (result instanceof ListingFailedError) {
    log.error("fan-out incomplete: listing connections failed", { ...result.summary, error: result.cause });
    return;
  }
  if (result.failed > 0 || result.staleDeleteFailed > 0) log.warn("fan-out done", { ...result });
  else log.info("fan-out done", { ...result });
}

/**
 * The ids listed so far, shared by the workers. The lister stays at most `prefetchPages` pages ahead, so a
 * large store never sits in memory whole, yet the next page is loading while the current one is being sent.
 */
class IdFeed {
  private readonly pages: string[][] = [];
  private current: string[] = [];
  private index = 0;
  private done = false;
  private waiters: Array<() => void> = [];
  private resumeLister: (() => void) | undefined;
  /** True when listing stopped early; `error` says why. */
  failed = false;
  /** What the listing threw. */
  error: unknown;

  constructor(private readonly prefetchPages: number) {}

  /** True when every listed id has been taken and no more will come. */
  get finished(): boolean {
    return this.done && this.index >= this.current.length && this.pages.length === 0;
  }

  /** Lists every page into the feed; never rejects (a failure ends the feed and is kept in `error`). */
  async fill(source: AsyncIterable<string[]>): Promise<void> {
    try {
      for await (const page of source) {
        if (page.length > 0) {
          this.pages.push(page);
          this.wake();
        }
        while (this.pages.length >= this.prefetchPages) {
          await new Promise<void>((resolve) => {
            this.resumeLister = resolve;
          });
        }
      }
    } catch (error) {
      this.failed = true;
      this.error = error;
    } finally {
      this.done = true;
      this.wake();
    }
  }

  /** The next id, or undefined when none is ready now. */
  take(): string | undefined {
    while (this.index >= this.current.length) {
      const page = this.pages.shift();
      if (page === undefined) return undefined;
      this.current = page;
      this.index = 0;
      this.resumeLister?.();
      this.resumeLister = undefined;
    }
    return this.current[this.index++];
  }

  /** Resolves when more ids arrive or the listing ends. */
  more(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.waiters.push(resolve);
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }
}

/** A summary of a fan-out that has sent nothing yet: every count zero. */
export function emptySummary(): FanoutSummary {
  return {
    recipients: 0,
    delivered: 0,
    gone: 0,
    failed: 0,
    timedOut: 0,
    throttledRetries: 0,
    resetRetries: 0,
    staleDeleted: 0,
    staleDeleteFailed: 0,
    failureReasons: {},
    durationMs: 0,
  };
}
