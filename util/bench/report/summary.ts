/**
 * What `bench/results.json` holds, and the Markdown that the benchmark prints and the docs show. One renderer for
 * both, so the numbers in README.md and docs/benchmark.md are always the ones in the committed results.
 */
import type { BenchOptions } from "../args.js";
import {
  type GoalVerdict,
  judgeGoals,
  ratio,
  representativeMs,
  SCENARIO_LABELS,
  type ScenarioId,
  type ScenarioResult,
} from "../model.js";
import { type ChannelResult, renderChannelLines } from "../scenarios/channels.js";
import { type ColdStart, describeFirstInvocations } from "../scenarios/coldstart.js";
import { type CappedResult, renderCappedLine } from "../scenarios/cpu-cap.js";
import { type HistoryResult, renderHistoryLines } from "../scenarios/history.js";
import { renderSendPathLine, type SendPathResult } from "../scenarios/send-path.js";
import { judgeShards, renderShardLines, type ShardResults } from "../scenarios/shard-results.js";
import type { ConnectFigures } from "../session/clients.js";
import { cpuFigures, judgeCpuPerSend } from "./cpu-goal.js";
import type { Machine } from "./machine.js";
import { awsProjection, judgeColdStart } from "./projection.js";
import { renderTable } from "./table.js";

/** Everything results.json holds. */
export interface BenchResults {
  command: string;
  startedAt: string;
  finishedAt: string;
  machine: Machine;
  note: string;
  options: BenchOptions;
  connects: ConnectFigures[];
  scenarios: ScenarioResult[];
  goals: GoalVerdict[];
  coldStart: ColdStart | null;
  /** The channel scenario; absent in results measured before it existed. */
  channels?: ChannelResult[];
  /** The sharded scenarios; absent when skipped or measured before they existed. */
  shards?: ShardResults;
  /** The send path alone; absent in results measured before it existed. */
  sendPath?: SendPathResult;
  /** The inline fan-out at Lambda's CPU share; present when the run was asked for it (`--cpu-cap`). */
  capped?: CappedResult;
  /** The history scenario; absent when skipped or measured before it existed. */
  history?: HistoryResult[];
}

/**
 * The full summary: the table, then one line per connect phase, per target and for the cold start.
 * @param results - the benchmark's results
 */
export function renderSummary(results: BenchResults): string {
  const { connects, coldStart } = results;
  // Judged again rather than read from the file, so the wording is today's even for older results.
  const goals = judgeGoals(results.scenarios, results.options.delayMs);
  // The cold start goals, and the AWS projection of the sharded fan-out (a model, labelled so).
  const projection = awsProjection(results.scenarios, results.shards);
  return [
    renderTable(results.scenarios),
    "",
    ...connects.map(
      (c) =>
        `- connect: N = ${c.n.toLocaleString("en-US")} in ${Math.round(c.ms).toLocaleString("en-US")} ms ` +
        `(${Math.round(c.perSec)}/s, each through $connect and the Lambda; ${c.processes} client processes)`,
    ),
    ...[
      judgeCpuPerSend(cpuFigures(results.scenarios, results.shards, results.capped)),
      ...goals,
      ...judgeShards(results.shards),
      ...judgeColdStart(coldStart),
      ...projection.goals,
    ].map(
      (goal) => `- target: ${goal.goal}: **${goal.status}**${goal.measured ? ` (${goal.measured})` : ""}`,
    ),
    ...renderDispatchLine(results.scenarios),
    ...renderSendPathLine(results.sendPath),
    ...renderCappedLine(results.capped),
    ...renderShardLines(results.shards),
    ...projection.lines,
    ...renderChannelLines(results.channels),
    ...renderHistoryLines(results.history),
    ...(coldStart
      ? [
          `- cold start: bundle ${(coldStart.bundleBytes / 1024).toFixed(0)} KiB, zip ${(coldStart.zipBytes / 1024).toFixed(0)} KiB ` +
            `(with its source map); import ${coldStart.importMs.toFixed(0)} ms; a fresh node that imports it takes ` +
            `${coldStart.nodeWithImportMs.toFixed(0)} ms = ${coldStart.relativeToBareNode.toFixed(2)}x a bare \`node -e 0\` ` +
            `(${coldStart.bareNodeMs.toFixed(0)} ms); medians of ${results.options.quick ? 3 : 7}`,
          // Absent from results of before the bundle was split.
          ...(coldStart.firstInvocation === undefined ? [] : [`- ${describeFirstInvocations(coldStart)}`]),
          `- bundle by package: ${coldStart.dependencies
            .map((d) => `${d.name} ${(d.bytes / 1024).toFixed(1)} KiB (${(d.share * 100).toFixed(0)}%)`)
            .join(", ")}`,
        ]
      : []),
  ].join("\n");
}

/**
 * How ours dispatched each fan-out of the table (inline, or sharded into K), from the Lambda's log; nothing for
 * results measured before the log was read.
 * @param scenarios - the table's results
 */
export function renderDispatchLine(scenarios: readonly ScenarioResult[]): string[] {
  const seen = scenarios.flatMap((r) => {
    const modes = [...new Set(r.runs.map((run) => run.dispatch).filter((d) => d !== undefined))];
    return modes.length === 0
      ? []
      : [`${SCENARIO_LABELS[r.scenario]} at N = ${r.n.toLocaleString("en-US")}: ${modes.join(", ")}`];
  });
  return seen.length === 0 ? [] : [`- dispatch (the Lambda's log): ${[...new Set(seen)].join("; ")}`];
}

/**
 * One line on where and when the results were measured: times only compare on the same machine.
 * @param results - the benchmark's results
 */
export function renderProvenance(results: BenchResults): string {
  const { machine } = results;
  const gib = Math.round(machine.memoryBytes / 2 ** 30);
  const when = `${results.startedAt.slice(0, 10)} ${results.startedAt.slice(11, 16)} UTC`;
  return (
    `Measured with \`${results.command}\` on ${when}: ${machine.cpuModel}, ${machine.cores} cores, ${gib} GiB, ` +
    `Node ${machine.node}, load average ${machine.loadAverage1m.toFixed(1)} at the start. Raw data: ` +
    "[`bench/results.json`](bench/results.json)."
  );
}

/**
 * The headline: how ours compares with the peers' algorithms and with the bare-HTTP ceiling, in one sentence,
 * from whichever of the standard models (N = 1,000 with a delay, N = 10,000 on loopback) the results hold.
 * @param results - the benchmark's results
 */
export function renderHeadline(results: BenchResults): string {
  const delay = results.options.delayMs;
  const ms = (scenario: ScenarioId, n: number, delayMs: number) =>
    representativeMs(
      results.scenarios.find((r) => r.scenario === scenario && r.n === n && r.delayMs === delayMs),
    );
  const ours = ["ours-sns", "ours-broadcast"] as const;
  const range = (values: (number | undefined)[]) => {
    const known = values.filter((v): v is number => v !== undefined).sort((a, b) => a - b);
    if (known.length === 0) return undefined;
    const lo = known[0] as number;
    const hi = known[known.length - 1] as number;
    return lo.toFixed(1) === hi.toFixed(1) ? `${lo.toFixed(1)}x` : `${lo.toFixed(1)}-${hi.toFixed(1)}x`;
  };
  const parts: string[] = [];
  const seq = ms("seed", 1_000, delay);
  const sample = ms("aws-sample", 1_000, delay);
  const vsSeq = range(ours.map((s) => ratio(seq, ms(s, 1_000, delay))));
  const vsSample = range(ours.map((s) => ratio(sample, ms(s, 1_000, delay))));
  if (delay > 0 && vsSeq && vsSample)
    parts.push(
      `with ${delay} ms per call and N = 1,000, ours delivers to everyone ${vsSeq} faster than a sequential loop ` +
        `and ${vsSample} faster than an unbounded \`Promise.all\``,
    );
  const http = ms("http-ceiling", 10_000, 0);
  const vsHttp = range(ours.map((s) => ratio(ms(s, 10_000, 0), http)));
  if (vsHttp) parts.push(`at N = 10,000 on loopback it takes ${vsHttp} the time of bare HTTP requests`);
  const peak = (scenarios: readonly ScenarioId[]) => {
    const bytes = results.scenarios
      .filter((r) => r.n === 10_000 && scenarios.includes(r.scenario))
      .map((r) => r.summary?.senderPeakRssBytes)
      .filter((v): v is number => typeof v === "number");
    return bytes.length === 0 ? undefined : Math.max(...bytes) / 2 ** 20;
  };
  const oursPeak = peak(ours);
  const samplePeak = peak(["aws-sample"]);
  if (oursPeak !== undefined && samplePeak !== undefined)
    parts.push(
      `its Lambda peaks at ${Math.round(oursPeak)} MB where \`Promise.all\` peaks at ${Math.round(samplePeak)} MB`,
    );
  if (parts.length === 0) return "";
  const sentence = parts.join("; ");
  return `${sentence[0]?.toUpperCase()}${sentence.slice(1)}.`;
}
