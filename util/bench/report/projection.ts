/**
 * The AWS projection of a fan-out (docs/scaling.md), inline or sharded, calibrated by the run's measured CPU per send:
 * a model, labelled as such, not a measurement. Also judges the cold start goals (docs/scaling.md) on the measured
 * cold start.
 */
import {
  DEFAULT_ACCOUNT_CONNECTIONS,
  DEFAULT_FANOUT_INLINE_MAX,
  DEFAULT_FANOUT_MAX_CONCURRENCY,
  DEFAULT_FANOUT_RATE_SHARE,
  DEFAULT_FANOUT_SHARDS,
  DEFAULT_FANOUT_WORKER_MEMORY_MB,
  DEFAULT_LAMBDA_MEMORY_MB,
} from "../../../src/contract/index.js";
import type { GoalVerdict, ScenarioResult } from "../model.js";
import type { ColdStart } from "../scenarios/coldstart.js";
import type { ShardResults } from "../scenarios/shard-results.js";

/** What the projection assumes; every figure is printed with it. */
export interface ProjectionInputs {
  /** Lambda CPU per PostToConnection of an inline fan-out (unpaced, many in flight), ms of one vCPU. */
  inlineCpuPerSendMs: number;
  /** Lambda CPU per PostToConnection of a paced shard, ms of one vCPU. */
  shardCpuPerSendMs: number;
  /** Where the two CPU figures come from. */
  cpuSource: string;
  /** Lambda memory that buys one vCPU. */
  mbPerVcpu: number;
  /** The routes' memory, MB (`lambda_memory_mb`): an inline fan-out runs there. */
  routeMemoryMb: number;
  /** The shard worker's memory, MB (`fanout_worker_memory_mb`). */
  workerMemoryMb: number;
  /** The most recipients sent inline (`fanout_inline_max`). */
  inlineMax: number;
  /** Shards of a large fan-out (`fanout_shards`) and shards at once (`fanout_max_concurrency`). */
  shards: number;
  maxConcurrency: number;
  /** The account's @connections throttle: requests a second and its token bucket. */
  accountRate: number;
  accountBurst: number;
  /** The share of both that all shards may use (`fanout_rate_share`). */
  rateShare: number;
  /** One ListObjectsV2 page of 1,000 keys on S3, ms (assumed); later pages overlap with sending. */
  listPageMs: number;
  /** The event reaching a warm function (SNS or API Gateway), ms (assumed). */
  deliveryMs: number;
  /**
   * A sharded dispatch's enqueue (two SendMessageBatch calls) and the SQS hop to warm workers, ms (assumed; with the
   * dispatch's two listing pages, the 200 ms that the projection has assumed for the dispatch since shards exist).
   */
  dispatchMs: number;
}

/**
 * The deployment's defaults, with the CPU per send of the profile of 2026-12-07 (`util/bench/profile.ts`, 1,000
 * recipients: 0.093-0.095 ms inline and unpaced, 0.133 ms paced at 562 a second) for runs that do not measure it.
 */
export const DEFAULT_PROJECTION_INPUTS: ProjectionInputs = {
  inlineCpuPerSendMs: 0.095,
  shardCpuPerSendMs: 0.133,
  cpuSource: "the profile of 2026-12-07 (util/bench/profile.ts), not this run",
  mbPerVcpu: 1769,
  routeMemoryMb: DEFAULT_LAMBDA_MEMORY_MB,
  workerMemoryMb: DEFAULT_FANOUT_WORKER_MEMORY_MB,
  inlineMax: DEFAULT_FANOUT_INLINE_MAX,
  shards: DEFAULT_FANOUT_SHARDS,
  maxConcurrency: DEFAULT_FANOUT_MAX_CONCURRENCY,
  accountRate: DEFAULT_ACCOUNT_CONNECTIONS.rate,
  accountBurst: DEFAULT_ACCOUNT_CONNECTIONS.burst,
  rateShare: DEFAULT_FANOUT_RATE_SHARE,
  listPageMs: 50,
  deliveryMs: 30,
  dispatchMs: 100,
};

/**
 * Sends a second (or, of the throttle's bucket, sends at once) per shard so that `shards` shards together use at most
 * `share` of the account's: the deployment's formula (deployment/constructs/shard-queue.ts, rounded down as
 * `FANOUT_SHARD_RATE` and `FANOUT_SHARD_BURST` are integers), with the shards' maximum concurrency equal to the shards
 * per fan-out.
 */
export function shardRate(accountRate: number, share: number, shards: number): number {
  return Math.floor((accountRate * share) / shards);
}

/** One projected fan-out. */
export interface Projected {
  n: number;
  ms: number;
  /** Inline, or sharded with what bounds a shard after its burst: its pace (the account's share) or its CPU. */
  mode: "inline" | "sharded";
  bound: "cpu" | "pace";
}

/** Sends a second one vCPU-share makes at a CPU cost per send. */
function cpuRate(memoryMb: number, inputs: ProjectionInputs, cpuPerSendMs: number): number {
  return memoryMb / inputs.mbPerVcpu / (cpuPerSendMs / 1000);
}

/**
 * Projects one fan-out to `n` recipients, from the event reaching the function to the last PostToConnection.
 * Inline (at most `inlineMax`): one listing page, then CPU-bound sends at the routes' memory. Sharded: the dispatch
 * lists past the inline maximum (two pages), enqueues, and each shard (in waves of `maxConcurrency`) lists its first
 * page, sends its share of the account's burst at its CPU rate, then the rest at the smaller of its pace and its CPU
 * rate; later pages load while it sends.
 * @param n - recipients
 * @param inputs - see {@link ProjectionInputs}
 */
export function projectFanout(n: number, inputs: ProjectionInputs): Projected {
  if (n <= inputs.inlineMax) {
    const sending = (n / cpuRate(inputs.routeMemoryMb, inputs, inputs.inlineCpuPerSendMs)) * 1000;
    return { n, ms: inputs.deliveryMs + inputs.listPageMs + sending, mode: "inline", bound: "cpu" };
  }
  const pace = (inputs.accountRate * inputs.rateShare) / inputs.maxConcurrency;
  const burst = Math.floor((inputs.accountBurst * inputs.rateShare) / inputs.maxConcurrency);
  const cpu = cpuRate(inputs.workerMemoryMb, inputs, inputs.shardCpuPerSendMs);
  const perShard = n / inputs.shards;
  const waves = Math.ceil(inputs.shards / inputs.maxConcurrency);
  const steady = Math.min(pace, cpu);
  const shardMs =
    inputs.listPageMs + (Math.min(perShard, burst) / cpu + Math.max(0, perShard - burst) / steady) * 1000;
  return {
    n,
    ms: inputs.deliveryMs + 2 * inputs.listPageMs + inputs.dispatchMs + waves * shardMs,
    mode: "sharded",
    bound: cpu < pace ? "cpu" : "pace",
  };
}

/**
 * The run's CPU per send, when it measured it at 1,000 recipients or more (below that, start-up and JIT warm-up
 * dominate): inline from ours at N = 1,000 on loopback, sharded from the paced (throttle-bound) sharded run, else
 * from every sharded run.
 * @param scenarios - the run's results
 * @param shards - the run's sharded results
 */
export function measuredCpuPerSendMs(
  scenarios: readonly ScenarioResult[],
  shards?: ShardResults,
): { inline?: number; shard?: number } {
  const inline = scenarios
    .filter(
      (r) =>
        (r.scenario === "ours-sns" || r.scenario === "ours-broadcast") && r.n === 1_000 && r.delayMs === 0,
    )
    .map((r) => r.summary?.senderCpuMs)
    .filter((cpu): cpu is number => typeof cpu === "number")
    .map((cpu) => cpu / 1_000);
  // The paced run is the deployed mode; without it, every sharded run (sparser sends, so more CPU each).
  const paced =
    shards && shards.n >= 1_000
      ? (shards.throttle?.cpuMsPerThousandSends ?? shards.cpuMsPerThousandSends)
      : null;
  return {
    ...(inline.length > 0 ? { inline: Math.max(...inline) } : {}),
    ...(paced == null ? {} : { shard: paced / 1_000 }),
  };
}

/** The projection's goals: the issue's times with the default variables. */
const PROJECTION_GOALS: Array<{ n: number; goalMs: number }> = [
  { n: 100, goalMs: 250 },
  { n: 1_000, goalMs: 400 },
  { n: 10_000, goalMs: 1_200 },
  { n: 100_000, goalMs: 11_000 },
  { n: 1_000_000, goalMs: 105_000 },
];

/** Seconds, to the hundredth below 100 s: the goals are close to what the model gives. */
const secs = (ms: number) => `${(ms / 1000).toFixed(ms < 100_000 ? 2 : 1)} s`;

/**
 * The projection for 100 to 1,000,000 recipients with the default variables, as summary lines with its inputs, and
 * the goals judged on it.
 * @param scenarios - the run's results (calibrate the inline CPU per send when they measured it)
 * @param shards - the run's sharded results (calibrate the paced CPU per send)
 */
export function awsProjection(
  scenarios: readonly ScenarioResult[],
  shards?: ShardResults,
): {
  lines: string[];
  goals: GoalVerdict[];
} {
  const measured = measuredCpuPerSendMs(scenarios, shards);
  const inputs: ProjectionInputs = {
    ...DEFAULT_PROJECTION_INPUTS,
    ...(measured.inline === undefined ? {} : { inlineCpuPerSendMs: measured.inline }),
    ...(measured.shard === undefined ? {} : { shardCpuPerSendMs: measured.shard }),
    ...(measured.inline === undefined && measured.shard === undefined
      ? {}
      : {
          cpuSource: `this run's${measured.inline === undefined ? "" : " inline N = 1,000 (the larger of the two paths)"}${
            measured.inline !== undefined && measured.shard !== undefined ? " and" : ""
          }${measured.shard === undefined ? "" : " sharded runs (the paced one's when it ran)"}; the profile's otherwise`,
        }),
  };
  const pace = shardRate(inputs.accountRate, inputs.rateShare, inputs.maxConcurrency);
  const burst = shardRate(inputs.accountBurst, inputs.rateShare, inputs.maxConcurrency);
  const lines = [
    `- projection for AWS (model, not measured), from the event reaching the function to the last PostToConnection: ` +
      `CPU ${inputs.inlineCpuPerSendMs.toFixed(3)} ms/send inline and ${inputs.shardCpuPerSendMs.toFixed(3)} ms/send paced ` +
      `(${inputs.cpuSource}); ${inputs.mbPerVcpu} MB = 1 vCPU; routes ${inputs.routeMemoryMb} MB, inline up to ` +
      `${inputs.inlineMax.toLocaleString("en-US")}; ${inputs.shards} shards of ${inputs.workerMemoryMb} MB, ${inputs.maxConcurrency} at once, ` +
      `each paced at ${pace}/s after a burst of ${burst} (account ${inputs.accountRate.toLocaleString("en-US")}/s, ` +
      `bucket ${inputs.accountBurst.toLocaleString("en-US")}, share ${inputs.rateShare}); assumed: ${inputs.deliveryMs} ms for the event to reach ` +
      `a warm function, ${inputs.listPageMs} ms a listing page of 1,000 keys, ${inputs.dispatchMs} ms for the enqueue and ` +
      `the SQS hop to warm workers`,
    ...PROJECTION_GOALS.map(({ n }) => {
      const p = projectFanout(n, inputs);
      const floor = (n / inputs.accountRate) * 1000;
      return `  - N = ${n.toLocaleString("en-US")}: floor ${secs(floor)}; ${secs(p.ms)} ${p.mode === "inline" ? "inline (CPU-bound)" : `sharded (${p.bound}-bound after the burst)`}`;
    }),
  ];
  const goals = PROJECTION_GOALS.map(({ n, goalMs }) => {
    const p = projectFanout(n, inputs);
    return {
      goal: `AWS, projected: N = ${n.toLocaleString("en-US")} within ${secs(goalMs)} with the default variables`,
      status: p.ms <= goalMs ? "met" : "not met",
      measured: `projected ${secs(p.ms)}, ${p.mode}`,
    } satisfies GoalVerdict;
  });
  return { lines, goals };
}

/**
 * The cold start goals (docs/scaling.md): a zip of at most 200 KiB and a fresh node that imports the bundle within 1.5x a
 * bare `node -e 0`.
 * @param coldStart - the measured cold start, or null when the run skipped it
 */
export function judgeColdStart(coldStart: ColdStart | null): GoalVerdict[] {
  const zipGoal = "cold start: a zip of at most 200 KiB";
  const importGoal = "cold start: node + import of the bundle within 1.5x a bare `node -e 0`";
  // Ours, stricter than the issue's: the entry now loads each route's code on first use, so its import alone no
  // longer holds the cost that the issue's goal was about.
  const firstReplyGoal =
    "cold start, stricter: node + import + the first reply of every route within 1.5x a bare `node -e 0`";
  if (coldStart === null) {
    return [zipGoal, importGoal, firstReplyGoal].map((goal) => ({
      goal,
      status: "not measured",
      measured: "",
    }));
  }
  const routes = coldStart.firstInvocation ?? [];
  const worst = routes.reduce<(typeof routes)[number] | undefined>(
    (a, b) => (a === undefined || b.relativeToBareNode > a.relativeToBareNode ? b : a),
    undefined,
  );
  return [
    {
      goal: zipGoal,
      status: coldStart.zipBytes <= 200 * 1024 ? "met" : "not met",
      measured: `${(coldStart.zipBytes / 1024).toFixed(0)} KiB`,
    },
    {
      goal: importGoal,
      status: coldStart.relativeToBareNode <= 1.5 ? "met" : "not met",
      measured:
        `${coldStart.relativeToBareNode.toFixed(2)}x (${coldStart.nodeWithImportMs.toFixed(0)} ms against ${coldStart.bareNodeMs.toFixed(0)} ms)` +
        (routes.length > 0 ? "; the entry only: each route loads its code on first use (next line)" : ""),
    },
    worst === undefined
      ? { goal: firstReplyGoal, status: "not measured", measured: "" }
      : {
          goal: firstReplyGoal,
          status: worst.relativeToBareNode <= 1.5 ? "met" : "not met",
          measured: `worst ${worst.route}: ${worst.relativeToBareNode.toFixed(2)}x (${worst.nodeWithInvocationMs.toFixed(0)} ms)`,
        },
  ];
}
