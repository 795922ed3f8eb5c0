/**
 * What the sharded scenarios (shards.ts) found: the shape results.json holds, the goals judged on it, and the
 * summary's lines.
 */
import { DEFAULT_FANOUT_INLINE_MAX } from "../../../src/contract/index.js";
import type { GoalVerdict, RunResult, ScenarioSummary } from "../model.js";

/** How one set of sharded runs is configured. */
export interface ShardConfig {
  /** Shards per fan-out (`FANOUT_SHARDS`). */
  shards: number;
  /** @connections calls in flight per shard (`FANOUT_CONCURRENCY`). */
  perShardConcurrency: number;
  /** Sends a second per shard (`FANOUT_SHARD_RATE`); 0: unpaced. */
  shardRate: number;
  /**
   * Sends a paced shard may make at once after idling (`FANOUT_SHARD_BURST`); 0: a tenth of a second's worth.
   * Absent from results measured before shards used the account's burst.
   */
  shardBurst?: number;
  /** Injected delay on every @connections call, ms. */
  delayMs: number;
  /** The gateway's @connections calls a second before 429; 0: none. */
  rateLimit: number;
}

/** The runs of one configuration. */
export interface ShardRunSet {
  config: ShardConfig;
  runs: RunResult[];
  summary: ScenarioSummary | null;
  /** Sends retried after a 429, summed over the shards' summaries (`throttledRetries`). */
  throttledRetries: number;
  /** Sends that failed for good, summed over the shards' summaries. */
  failed: number;
  /** Lambda CPU per 1,000 sends, the median run's, the dispatch included, ms. */
  cpuMsPerThousandSends: number | null;
}

/** What results.json holds of the sharded scenarios. */
export interface ShardResults {
  n: number;
  /** The latency-bound runs, one set per shard count. */
  latency: ShardRunSet[];
  /** The throttle-bound runs; null when skipped. */
  throttle: ShardRunSet | null;
  /** Shards in the dead-letter queue after every run. */
  deadLetterDepth: number;
  /** Lambda CPU per 1,000 sends over every sharded run, the dispatch included, ms. */
  cpuMsPerThousandSends: number | null;
  /** The local emulator's listing rate (all N keys, 1,000 a page, one after the other), keys a second. */
  localListKeysPerSecond: number;
  /** Each publishing path once, with the deployed inline limit: large fan-outs sharded, a small one inline. */
  paths: PathRun[];
}

/** One publishing path, once. */
export interface PathRun {
  /** What published, in words. */
  path: string;
  recipients: number;
  /** Whether the fan-out should have been sharded (more recipients than the inline limit). */
  large: boolean;
  run: RunResult;
}

/** Whether a path was dispatched as it should: sharded when large, inline when small. */
function dispatchedAsExpected(path: PathRun): boolean {
  return path.large ? /^sharded into \d+$/.test(path.run.dispatch ?? "") : path.run.dispatch === "inline";
}

/** A configuration in words: "4 shards x 4 in flight, 10 ms/call" or "4 shards paced to 225/s, limit 1000/s". */
export function describeConfig(config: ShardConfig): string {
  const shards = `${config.shards} shard${config.shards === 1 ? "" : "s"}`;
  if (config.rateLimit > 0) {
    const burst = config.shardBurst ? ` after a burst of ${config.shardBurst}` : "";
    return `${shards} paced to ${Math.round(config.shardRate)}/s each${burst}, @connections limit ${config.rateLimit}/s`;
  }
  return `${shards} x ${config.perShardConcurrency} in flight, ${config.delayMs} ms/call`;
}

/** The goals below are the issue's, at N = 10,000; a smaller run is not judged. */
const GOAL_N = 10_000;
/** Four shards at least this much faster than one, latency-bound. */
const SCALE_GOAL = 3;
/** The throttle-bound time within this multiple of N / R. */
const FLOOR_GOAL = 1.2;

/**
 * The goals of the sharded runs (docs/scaling.md): shards scale, the floor, exactly once with an empty dead-letter queue.
 * @param results - the sharded results; undefined when the run skipped them
 */
export function judgeShards(results: ShardResults | undefined): GoalVerdict[] {
  const scaleGoal = `shards scale: N = ${GOAL_N.toLocaleString("en-US")}, latency-bound, 4 shards at least ${SCALE_GOAL}x faster than 1`;
  const floorGoal = `the floor: N = ${GOAL_N.toLocaleString("en-US")} with the @connections throttle at R within ${FLOOR_GOAL}x of N / R`;
  const onceGoal = "sharded: every run exactly once to every client, and the dead-letter queue empty";
  const pathsGoal =
    "sharded: a broadcast, an SNS message and a channel publish to N go through shards, a channel of 100 stays inline";
  const unmeasured = (goal: string): GoalVerdict => ({ goal, status: "not measured", measured: "" });
  if (results === undefined) return [scaleGoal, floorGoal, onceGoal, pathsGoal].map(unmeasured);
  const verdicts: GoalVerdict[] = [];
  const time = (shards: number) =>
    results.latency.find((set) => set.config.shards === shards)?.summary?.publishToLastMs;
  const one = time(1);
  const four = time(4);
  verdicts.push(
    results.n < GOAL_N || one === undefined || four === undefined
      ? unmeasured(scaleGoal)
      : {
          goal: scaleGoal,
          status: one / four >= SCALE_GOAL ? "met" : "not met",
          measured: `${(one / four).toFixed(2)}x (${ms(one)} against ${ms(four)})`,
        },
  );
  const throttled = results.throttle?.summary?.publishToLastMs;
  const rate = results.throttle?.config.rateLimit ?? 0;
  if (results.n < GOAL_N || throttled === undefined || rate <= 0) verdicts.push(unmeasured(floorGoal));
  else {
    const floorMs = (results.n / rate) * 1000;
    verdicts.push({
      goal: floorGoal,
      status: throttled / floorMs <= FLOOR_GOAL ? "met" : "not met",
      measured: `${(throttled / floorMs).toFixed(2)}x (${ms(throttled)} against N / R = ${ms(floorMs)}, R = ${rate}/s)`,
    });
  }
  const runs = allRuns(results);
  const once = runs.every((run) => run.delivery.exactlyOnce);
  verdicts.push({
    goal: onceGoal,
    status: nothingLostOrRepeated(results) ? "met" : "not met",
    measured: `${runs.length} runs ${once ? "all" : "NOT all"} exactly once; ${results.deadLetterDepth} in the dead-letter queue`,
  });
  verdicts.push(
    results.n <= DEFAULT_FANOUT_INLINE_MAX || results.paths.length === 0
      ? unmeasured(pathsGoal)
      : {
          goal: pathsGoal,
          status: results.paths.every(dispatchedAsExpected) ? "met" : "not met",
          measured: results.paths
            .map(
              (p) =>
                `${p.path} to ${p.recipients.toLocaleString("en-US")}: ${p.run.dispatch ?? "none logged"}`,
            )
            .join("; "),
        },
  );
  return verdicts;
}

/** Every measured run of the sharded scenarios (warm-ups aside). */
function allRuns(results: ShardResults): RunResult[] {
  const sets = [...results.latency, ...(results.throttle ? [results.throttle] : [])];
  return [...sets.flatMap((set) => set.runs), ...results.paths.map((p) => p.run)];
}

/** True when every sharded run reached every client exactly once and no shard is left in the dead-letter queue. */
export function nothingLostOrRepeated(results: ShardResults): boolean {
  return allRuns(results).every((run) => run.delivery.exactlyOnce) && results.deadLetterDepth === 0;
}

const ms = (value: number) => `${Math.round(value).toLocaleString("en-US")} ms`;

/**
 * The summary's lines for the sharded runs: one per configuration, then the CPU and listing figures.
 * @param results - the sharded results (absent in results measured before they existed)
 */
export function renderShardLines(results: ShardResults | undefined): string[] {
  if (results === undefined) return [];
  const n = results.n.toLocaleString("en-US");
  const one = results.latency.find((set) => set.config.shards === 1)?.summary?.publishToLastMs;
  const lines = [...results.latency, ...(results.throttle ? [results.throttle] : [])].map((set) => {
    const t = set.summary?.publishToLastMs;
    const versusOne =
      set.config.rateLimit === 0 && one !== undefined && t !== undefined && set.config.shards > 1
        ? `, ${(one / t).toFixed(2)}x faster than 1 shard`
        : "";
    const floor =
      set.config.rateLimit > 0 && t !== undefined
        ? `, ${(t / ((results.n / set.config.rateLimit) * 1000)).toFixed(2)}x N / R`
        : "";
    return (
      `- sharded (N = ${n}, ${describeConfig(set.config)}): ${t === undefined ? "n/a" : ms(t)}${versusOne}${floor}; ` +
      `Lambda CPU ${set.cpuMsPerThousandSends === null ? "n/a" : `${Math.round(set.cpuMsPerThousandSends)} ms`} per 1,000 sends; ` +
      `${set.throttledRetries} sends retried after 429, ${set.failed} failed; ` +
      `${set.summary?.exactlyOnce ? "exactly once" : "NOT exactly once"}`
    );
  });
  if (results.paths.length > 0) {
    lines.push(
      `- sharded paths (N = ${n}, inline limit ${DEFAULT_FANOUT_INLINE_MAX.toLocaleString("en-US")}, unthrottled): ` +
        results.paths
          .map(
            (p) =>
              `${p.path} to ${p.recipients.toLocaleString("en-US")} ${ms(p.run.publishToLastMs)}, ` +
              `${p.run.dispatch ?? "no dispatch logged"}${p.run.delivery.exactlyOnce ? "" : " (NOT exactly once)"}`,
          )
          .join("; "),
    );
  }
  lines.push(
    `- sharded: Lambda CPU per 1,000 sends ${results.cpuMsPerThousandSends === null ? "n/a" : `${results.cpuMsPerThousandSends.toFixed(0)} ms`} ` +
      `over every sharded run, the dispatch included; local listing ${Math.round(results.localListKeysPerSecond).toLocaleString("en-US")} keys/s ` +
      `(the emulator, 1,000 a page); dead-letter queue: ${results.deadLetterDepth}`,
  );
  return lines;
}
