/**
 * The AWS projection of the sharded fan-out (docs/scaling.md), calibrated by the run's measured CPU per send: a
 * model, labelled as such, not a measurement. Also judges the cold start goals (docs/scaling.md) on the measured cold start.
 */
import { DEFAULT_FANOUT_WORKER_MEMORY_MB } from "../../../src/contract/index.js";
import type { GoalVerdict, ScenarioResult } from "../model.js";
import type { ColdStart } from "../scenarios/coldstart.js";
import type { ShardResults } from "../scenarios/shard-results.js";

/** What the projection assumes; every figure is printed with it. */
export interface ProjectionInputs {
  /** Lambda CPU per PostToConnection, ms of one vCPU. */
  cpuPerSendMs: number;
  /** Where {@link cpuPerSendMs} comes from. */
  cpuSource: string;
  /** Lambda memory that buys one vCPU. */
  mbPerVcpu: number;
  /** The account's @connections quota, requests a second. */
  accountRate: number;
  /** The share all shards may use (fanout_rate_share). */
  rateShare: number;
  /** Shards at once (fanout_max_concurrency) and shards per fan-out (fanout_shards). */
  shards: number;
  /** Worker memory, MB (fanout_worker_memory_mb). */
  memoryMb: number;
  /** S3 listing, keys a second per shard (1,000 keys per ~50 ms call): overlapped with sending. */
  listKeysPerSecond: number;
  /** The dispatch (one listing, two SendMessageBatch calls) and the SQS hop to warm workers, ms. */
  overheadMs: number;
}

/** The deployment's defaults, with the measured 0.33 ms CPU per send. */
export const DEFAULT_PROJECTION_INPUTS: ProjectionInputs = {
  cpuPerSendMs: 0.33,
  cpuSource: "measured by npm run bench, 0.30-0.37 ms",
  mbPerVcpu: 1769,
  accountRate: 10_000,
  rateShare: 0.9,
  shards: 16,
  memoryMb: DEFAULT_FANOUT_WORKER_MEMORY_MB,
  listKeysPerSecond: 20_000,
  overheadMs: 200,
};

/** One projected fan-out. */
export interface Projected {
  n: number;
  ms: number;
  /** What bounds a shard: its pace (the account's share), its CPU, or listing. */
  bound: "pace" | "cpu" | "listing";
}

/**
 * Projects one fan-out to `n` recipients: each of the shards sends n / shards at the smallest of its pace, its CPU
 * rate and its listing rate, after the dispatch overhead.
 * @param n - recipients
 * @param inputs - see {@link ProjectionInputs}
 */
export function projectFanout(n: number, inputs: ProjectionInputs): Projected {
  const pace = (inputs.accountRate * inputs.rateShare) / inputs.shards;
  const cpu = inputs.memoryMb / inputs.mbPerVcpu / (inputs.cpuPerSendMs / 1000);
  const rates = { pace, cpu, listing: inputs.listKeysPerSecond };
  const bound = (Object.keys(rates) as Array<keyof typeof rates>).reduce((a, b) =>
    rates[b] < rates[a] ? b : a,
  );
  const perShard = n / inputs.shards;
  return { n, ms: inputs.overheadMs + (perShard / rates[bound]) * 1000, bound };
}

/**
 * Lambda CPU per send measured by this run: from the sharded runs when they had at least 1,000 recipients (the
 * mechanism projected), the paced run's first since deployed shards are paced (one send at a time costs more CPU
 * than many in flight); else the sender's CPU over its recipients in its largest fan-out of at least 1,000: below
 * that, start-up and JIT warm-up dominate (`--quick`'s N = 100 measures ~2.5 ms).
 */
export function measuredCpuPerSendMs(
  scenarios: readonly ScenarioResult[],
  shards?: ShardResults,
): number | undefined {
  const sharded = shards?.throttle?.cpuMsPerThousandSends ?? shards?.cpuMsPerThousandSends ?? null;
  if (shards && shards.n >= 1000 && sharded !== null) return sharded / 1000;
  const ours = scenarios.filter(
    (r) =>
      (r.scenario === "ours-sns" || r.scenario === "ours-broadcast") &&
      r.n >= 1000 &&
      r.summary?.senderCpuMs != null,
  );
  const largest = ours.sort((a, b) => b.n - a.n)[0];
  const cpu = largest?.summary?.senderCpuMs;
  return largest && typeof cpu === "number" && largest.n > 0 ? cpu / largest.n : undefined;
}

/** The worker memory the projection compares the default with: the default before the sharded runs measured CPU. */
const SMALLER_WORKER_MB = 1024;

/** The projection's goals: the times with the default variables. */
const PROJECTION_GOALS: Array<{ n: number; goalMs: number }> = [
  { n: 10_000, goalMs: 1_500 },
  { n: 100_000, goalMs: 12_000 },
  { n: 1_000_000, goalMs: 120_000 },
];

/**
 * The projection for 10,000, 100,000 and 1,000,000 recipients with the default variables (one vCPU per shard) and
 * with the 1,024 MB workers of an earlier default (0.58 vCPU), as summary lines, and the goals judged on it.
 * @param scenarios - the run's results (calibrates the CPU per send when they measured it)
 * @param shards - the run's sharded results, the CPU per send's first source
 */
export function awsProjection(
  scenarios: readonly ScenarioResult[],
  shards?: ShardResults,
): {
  lines: string[];
  goals: GoalVerdict[];
} {
  const measured = measuredCpuPerSendMs(scenarios, shards);
  const inputs: ProjectionInputs =
    measured === undefined
      ? DEFAULT_PROJECTION_INPUTS
      : {
          ...DEFAULT_PROJECTION_INPUTS,
          cpuPerSendMs: measured,
          cpuSource: "this run's Lambda CPU per send, the paced sharded run's when it ran",
        };
  const smaller = { ...inputs, memoryMb: SMALLER_WORKER_MB };
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const lines = [
    `- projection for AWS (model, not measured): CPU ${inputs.cpuPerSendMs.toFixed(3)} ms/send (${inputs.cpuSource}), ` +
      `${inputs.mbPerVcpu} MB = 1 vCPU, account ${inputs.accountRate.toLocaleString("en-US")}/s x ${inputs.rateShare}, ` +
      `${inputs.shards} shards at once, ${inputs.memoryMb} MB workers, listing ${inputs.listKeysPerSecond.toLocaleString("en-US")} keys/s, ` +
      `${inputs.overheadMs} ms dispatch + SQS hop, warm workers`,
    ...PROJECTION_GOALS.map(({ n }) => {
      const d = projectFanout(n, inputs);
      const v = projectFanout(n, smaller);
      return (
        `  - N = ${n.toLocaleString("en-US")}: floor ${s((n / inputs.accountRate) * 1000)}; defaults ${s(d.ms)} (${d.bound}-bound); ` +
        `at ${SMALLER_WORKER_MB.toLocaleString("en-US")} MB ${s(v.ms)} (${v.bound}-bound)`
      );
    }),
  ];
  const goals = PROJECTION_GOALS.map(({ n, goalMs }) => {
    const d = projectFanout(n, inputs);
    return {
      goal: `AWS, projected: N = ${n.toLocaleString("en-US")} within ${s(goalMs)} with the default variables`,
      status: d.ms <= goalMs ? "met" : "not met",
      measured: `projected ${s(d.ms)}, ${d.bound}-bound`,
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
  // longer holds the cost that the goal was about.
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
