/**
 * The goal on the Lambda's CPU per recipient: at most 100 ms per 1,000 sends in every configuration the benchmark
 * runs with 1,000 recipients or more (below that, start-up and JIT warm-up dominate: `--quick`'s N = 100 measures
 * about 2.5 ms a send): ours inline, sharded, latency-bound and paced, each path run, and the capped run.
 */
import { type GoalVerdict, SCENARIO_LABELS, type ScenarioResult } from "../model.js";
import type { CappedResult } from "../scenarios/cpu-cap.js";
import { describeConfig, type ShardResults } from "../scenarios/shard-results.js";

/** The goal: ms of Lambda CPU per 1,000 sends. */
const CPU_GOAL_MS_PER_THOUSAND = 100;
/** The fewest recipients a configuration needs to be judged. */
const JUDGED_FROM = 1_000;

/** One configuration's figure. */
export interface CpuFigure {
  configuration: string;
  msPerThousand: number;
}

/**
 * Every configuration's Lambda CPU per 1,000 sends that the run measured, in the order the summary shows them.
 * @param scenarios - the main scenarios (ours only are the Lambda's)
 * @param shards - the sharded runs
 * @param capped - the run at Lambda's CPU share
 */
export function cpuFigures(
  scenarios: readonly ScenarioResult[],
  shards: ShardResults | undefined,
  capped: CappedResult | undefined,
): CpuFigure[] {
  const figures: CpuFigure[] = [];
  for (const r of scenarios) {
    const cpu = r.summary?.senderCpuMs;
    if ((r.scenario !== "ours-sns" && r.scenario !== "ours-broadcast") || r.n < JUDGED_FROM || cpu == null)
      continue;
    figures.push({
      configuration: `${SCENARIO_LABELS[r.scenario]}, N = ${r.n.toLocaleString("en-US")}, ${r.delayMs ? `${r.delayMs} ms/call` : "loopback"}${r.runs[0]?.dispatch ? ` (${r.runs[0].dispatch})` : ""}`,
      msPerThousand: (cpu / r.n) * 1000,
    });
  }
  if (shards && shards.n >= JUDGED_FROM) {
    for (const set of [...shards.latency, ...(shards.throttle ? [shards.throttle] : [])]) {
      if (set.cpuMsPerThousandSends === null) continue;
      figures.push({
        configuration: `sharded, ${describeConfig(set.config)}`,
        msPerThousand: set.cpuMsPerThousandSends,
      });
    }
    for (const path of shards.paths) {
      if (path.recipients < JUDGED_FROM || path.run.senderCpuMs === null) continue;
      figures.push({
        configuration: `${path.path} to ${path.recipients.toLocaleString("en-US")} (${path.run.dispatch ?? "?"})`,
        msPerThousand: (path.run.senderCpuMs / path.recipients) * 1000,
      });
    }
  }
  if (capped && capped.recipients >= JUDGED_FROM && capped.cpuMsPerThousandSends !== null) {
    figures.push({
      configuration: `inline at ${capped.memoryMb} MB's CPU share`,
      msPerThousand: capped.cpuMsPerThousandSends,
    });
  }
  return figures;
}

/**
 * The goal judged on every configuration's figure: met when none is over.
 * @param figures - {@link cpuFigures}
 */
export function judgeCpuPerSend(figures: readonly CpuFigure[]): GoalVerdict {
  const goal = `Lambda CPU per 1,000 sends at most ${CPU_GOAL_MS_PER_THOUSAND} ms in every configuration (inline, sharded, paced; N >= ${JUDGED_FROM.toLocaleString("en-US")})`;
  if (figures.length === 0) return { goal, status: "not measured", measured: "" };
  const over = figures.filter((f) => f.msPerThousand > CPU_GOAL_MS_PER_THOUSAND);
  return {
    goal,
    status: over.length === 0 ? "met" : "not met",
    measured:
      `${figures.length - over.length} of ${figures.length} within; ` +
      figures.map((f) => `${f.configuration} ${Math.round(f.msPerThousand)} ms`).join("; "),
  };
}
