/**
 * The sharded fan-out scenarios (docs/scaling.md), in their own stack of N clients:
 * - latency-bound: every @connections call held `delayMs`, each shard capped at a few calls in flight, with 1, 2
 *   and 4 shards: the shards' parallelism, not this machine's cores, decides the time;
 * - throttle-bound: the gateway's @connections rate limit set to R (the account throttle's model) and the shards
 *   paced to their share of it, as deployed: the floor is N / R;
 * - the Lambda CPU per 1,000 sends over every sharded run, and the dead-letter queue's depth at the end.
 */
import {
  DEFAULT_FANOUT_INLINE_MAX,
  DEFAULT_FANOUT_RATE_SHARE,
  LAMBDA_ENV,
} from "../../../src/contract/index.js";
import { defaultProcesses } from "../args.js";
import { type RunResult, summarize } from "../model.js";
import { progress } from "../progress.js";
import { shardRate } from "../report/projection.js";
import { Session } from "../session/session.js";
import { connectionListingRate, deadLetterQueueDepth } from "../session/stack-reads.js";
import { benchChannel } from "./channels.js";
import {
  describeConfig,
  type PathRun,
  type ShardConfig,
  type ShardResults,
  type ShardRunSet,
} from "./shard-results.js";

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
      shardBurst: 0,
      delayMs: options.delayMs,
      rateLimit: 0,
    }));
    if (options.throttleRate > 0) {
      configs.push({
        shards: options.throttleShards,
        perShardConcurrency: UNCAPPED_CONCURRENCY,
        shardRate: shardRate(options.throttleRate, DEFAULT_FANOUT_RATE_SHARE, options.throttleShards),
        // The local gateway's bucket holds half a second's worth, as AWS's 5,000 on 10,000 a second.
        shardBurst: shardRate(options.throttleRate / 2, DEFAULT_FANOUT_RATE_SHARE, options.throttleShards),
        delayMs: 0,
        rateLimit: options.throttleRate,
      });
    }
    const sets: ShardRunSet[] = [];
    for (const config of configs) sets.push(await runConfig(session, config, options.runs));
    const paths = await runPaths(session, options.throttleShards);
    const localListKeysPerSecond = await connectionListingRate(session.outputs);
    const deadLetterDepth = await deadLetterQueueDepth(session.outputs);
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
    [LAMBDA_ENV.fanoutShardBurst]: String(config.shardBurst),
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
  const logFrom = await session.log.end();
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
  const shardLines = (await session.log.since(logFrom)).filter(
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
