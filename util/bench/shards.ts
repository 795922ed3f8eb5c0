/**
 * The sharded fan-out scenarios (docs/scaling.md), in their own stack of N clients:
 * - latency-bound: every @connections call held `delayMs`, each shard capped at a few calls in flight, with 1, 2
 *   and 4 shards: the shards' parallelism, not this machine's cores, decides the time;
 * - throttle-bound: the gateway's @connections rate limit set to R (the account throttle's model) and the shards
 *   paced to their share of it, as deployed: the floor is N / R;
 * - the Lambda CPU per 1,000 sends over every sharded run, and the dead-letter queue's depth at the end.
 */
import { DEFAULT_FANOUT_INLINE_MAX } from "../../src/config.js";
import { LAMBDA_ENV } from "../../src/contracts.js";
import { defaultProcesses } from "./args.js";
import { benchChannel } from "./channels.js";
import type { GoalVerdict, RunResult, ScenarioSummary } from "./model.js";
import { summarize } from "./model.js";
import { DEFAULT_PROJECTION_INPUTS } from "./projection.js";
import { progress, Session } from "./session.js";

/** How one set of sharded runs is configured. */
export interface ShardConfig {
  /** Shards per fan-out (`FANOUT_SHARDS`). */
  shards: number;
  /** @connections calls in flight per shard (`FANOUT_CONCURRENCY`). */
  perShardConcurrency: number;
  /** Sends a second per shard (`FANOUT_SHARD_RATE`); 0: unpaced. */
  shardRate: number;
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

/** What the sharded scenarios are run with. */
export interface ShardOptions {
  /** Clients. */
  n: number;
  /** Shard counts of the latency-bound runs. */
  shardCounts: readonly number[];
  /** Injected delay per @connections call of the latency-bound runs, ms. */
  delayMs: number;
  /** @connections calls in flight per shard in the latency-bound runs. */
  perShardConcurrency: number;
  /** The throttle R of the throttle-bound runs, calls a second; 0 skips them. */
  throttleRate: number;
  /** Shards of the throttle-bound runs. */
  throttleShards: number;
  /** Published messages per configuration (the median is reported). */
  runs: number;
}

/** The local stack's calls in flight per fan-out (what a throttle-bound shard keeps), as `FANOUT_CONCURRENCY`. */
const UNCAPPED_CONCURRENCY = 100;

/**
 * Sends a second per shard so that `shards` shards together use at most `share` of `accountRate`: the deployment's
 * formula (deployment/constructs/fanout-queue.ts, rounded down as `FANOUT_SHARD_RATE` is an integer), with the
 * shards' maximum concurrency equal to the shards per fan-out.
 */
export function shardRate(accountRate: number, share: number, shards: number): number {
  return Math.floor((accountRate * share) / shards);
}

/**
 * Runs the sharded scenarios in a stack of `options.n` clients; every fan-out goes through the shard queue
 * (`FANOUT_INLINE_MAX` 0), so even one shard pays the queue hop it is compared with.
 * @param options - see {@link ShardOptions}
 */
export async function measureShards(options: ShardOptions): Promise<ShardResults> {
  const { n } = options;
  const maxShards = Math.max(options.throttleRate > 0 ? options.throttleShards : 1, ...options.shardCounts);
  const session = await Session.open(n, {
    processes: defaultProcesses(n),
    drivers: [],
    // The dispatch and every shard at once, as a reserved concurrency of maxShards + 1 would allow.
    lambdaConcurrency: maxShards + 1,
    lambdaEnv: { [LAMBDA_ENV.fanoutInlineMax]: "0" },
  });
  try {
    const configs: ShardConfig[] = options.shardCounts.map((shards) => ({
      shards,
      perShardConcurrency: options.perShardConcurrency,
      shardRate: 0,
      delayMs: options.delayMs,
      rateLimit: 0,
    }));
    if (options.throttleRate > 0) {
      const { rateShare } = DEFAULT_PROJECTION_INPUTS;
      configs.push({
        shards: options.throttleShards,
        perShardConcurrency: UNCAPPED_CONCURRENCY,
        shardRate: shardRate(options.throttleRate, rateShare, options.throttleShards),
        delayMs: 0,
        rateLimit: options.throttleRate,
      });
    }
    const sets: ShardRunSet[] = [];
    for (const config of configs) sets.push(await runConfig(session, config, options.runs));
    const paths = await runPaths(session, options.throttleShards);
    const localListKeysPerSecond = await session.listingRate();
    const deadLetterDepth = await session.deadLetterDepth();
    const cpu = sets.flatMap((set) => set.runs.map((r) => r.senderCpuMs));
    const sends = sets.reduce((sum, set) => sum + set.runs.length * n, 0);
    const cpuMs = cpu.every((v): v is number => v !== null) ? cpu.reduce((a, b) => a + b, 0) : null;
    return {
      n,
      latency: sets.filter((set) => set.config.rateLimit === 0),
      throttle: sets.find((set) => set.config.rateLimit > 0) ?? null,
      deadLetterDepth,
      cpuMsPerThousandSends: cpuMs !== null && sends > 0 ? (cpuMs / sends) * 1000 : null,
      localListKeysPerSecond,
      paths,
    };
  } finally {
    await session.close();
  }
}

/** One configuration: set the function's variables and the gateway's model, then `runs` broadcasts. */
async function runConfig(session: Session, config: ShardConfig, runs: number): Promise<ShardRunSet> {
  await session.configure({
    [LAMBDA_ENV.fanoutShards]: String(config.shards),
    [LAMBDA_ENV.fanoutConcurrency]: String(config.perShardConcurrency),
    [LAMBDA_ENV.fanoutShardRate]: String(config.shardRate),
  });
  // One broadcast first, unmeasured and unthrottled: it starts every environment the runs use and warms their
  // JIT, so the runs measure warm workers (as the AWS projection assumes), not this machine's cold starts.
  session.delayMs = 0;
  const runId = (suffix: string) =>
    `shards-${config.shards}-${config.perShardConcurrency}-${config.delayMs}-${config.rateLimit}-${suffix}`;
  const warm = await session.measure("ours-broadcast", runId("warm-up"), 1 + config.shards);
  if (!warm.delivery.exactlyOnce)
    progress(`sharded warm-up: NOT exactly once (${warm.delivery.missing} missing)`);
  session.delayMs = config.delayMs;
  session.rateLimit = config.rateLimit;
  const logFrom = await session.logEnd();
  const results: RunResult[] = [];
  for (let run = 1; run <= runs; run++) {
    // The dispatch, then one invocation per shard.
    const figures = await session.measure("ours-broadcast", runId(String(run)), 1 + config.shards);
    results.push(figures);
    const d = figures.delivery;
    progress(
      `sharded, N = ${session.n}, ${describeConfig(config)}, run ${run}/${runs}: ` +
        `${Math.round(figures.publishToLastMs)} ms` +
        (d.exactlyOnce ? "" : ` (NOT exactly once: ${d.missing} missing, ${d.duplicated} duplicated)`),
    );
  }
  const shardLines = (await session.lambdaLog(logFrom)).filter(
    (line) => line.message === "fan-out done" && line.shard !== undefined,
  );
  const sum = (key: string) => shardLines.reduce((total, line) => total + Number(line[key] ?? 0), 0);
  session.rateLimit = 0;
  const summary = summarize(results);
  return {
    config,
    runs: results,
    summary,
    cpuMsPerThousandSends: summary?.senderCpuMs == null ? null : (summary.senderCpuMs / session.n) * 1000,
    throttledRetries: sum("throttledRetries"),
    failed: sum("failed") + sum("timedOut"),
  };
}

/** Members of the small channel of {@link runPaths}: a fan-out that must stay in one invocation. */
const SMALL_CHANNEL = 100;

/**
 * Each publishing path once with the deployed inline limit (1,000) and `shards` shards, unthrottled: a broadcast
 * frame, an SNS message and a channel publish to all N, which must be sharded, and a channel publish to 100
 * members, which must stay in one invocation. The log's `fan-out dispatched` line says which happened.
 */
async function runPaths(session: Session, shards: number): Promise<PathRun[]> {
  const { n } = session;
  await session.configure({
    [LAMBDA_ENV.fanoutInlineMax]: String(DEFAULT_FANOUT_INLINE_MAX),
    [LAMBDA_ENV.fanoutShards]: String(shards),
    [LAMBDA_ENV.fanoutConcurrency]: String(UNCAPPED_CONCURRENCY),
    [LAMBDA_ENV.fanoutShardRate]: "0",
  });
  session.delayMs = 0;
  const large = n > DEFAULT_FANOUT_INLINE_MAX;
  const invocations = large ? 1 + shards : 1;
  const everyone = benchChannel(n);
  const small = benchChannel(Math.min(SMALL_CHANNEL, n));
  progress(
    `sharded paths: subscribing ${n} clients to ${everyone} and ${Math.min(SMALL_CHANNEL, n)} to ${small}`,
  );
  await session.subscribeChannel(everyone, n);
  await session.subscribeChannel(small, Math.min(SMALL_CHANNEL, n));
  const paths: PathRun[] = [
    {
      path: "broadcast frame",
      recipients: n,
      large,
      run: await session.measure("ours-broadcast", "path-broadcast", invocations),
    },
    {
      path: "SNS message",
      recipients: n,
      large,
      run: await session.measure("ours-sns", "path-sns", invocations),
    },
    {
      path: "channel publish",
      recipients: n,
      large,
      run: await session.measureChannel(everyone, n, "path-channel", invocations),
    },
    {
      path: "channel publish",
      recipients: Math.min(SMALL_CHANNEL, n),
      large: false,
      run: await session.measureChannel(small, Math.min(SMALL_CHANNEL, n), "path-small-channel"),
    },
  ];
  for (const p of paths) {
    progress(
      `sharded paths: ${p.path} to ${p.recipients}: ${Math.round(p.run.publishToLastMs)} ms, ${p.run.dispatch ?? "no dispatch logged"}` +
        (p.run.delivery.exactlyOnce ? "" : " (NOT exactly once)"),
    );
  }
  return paths;
}

/** Whether a path was dispatched as it should: sharded when large, inline when small. */
export function dispatchedAsExpected(path: PathRun): boolean {
  return path.large ? /^sharded into \d+$/.test(path.run.dispatch ?? "") : path.run.dispatch === "inline";
}

/** A configuration in words: "4 shards x 4 in flight, 10 ms/call" or "4 shards paced to 225/s, limit 1000/s". */
export function describeConfig(config: ShardConfig): string {
  const shards = `${config.shards} shard${config.shards === 1 ? "" : "s"}`;
  if (config.rateLimit > 0) {
    return `${shards} paced to ${Math.round(config.shardRate)}/s each, @connections limit ${config.rateLimit}/s`;
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
