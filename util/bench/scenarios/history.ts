/**
 * The history scenario (docs/channels.md#history): what keeping a channel's history adds to a publish. For each K,
 * a stack of K clients all subscribed to one channel; the same publish is measured with the channel's history off
 * (`HISTORY_CHANNELS` empty: no position, no S3 call) and on (the message written at its position, then fanned out),
 * publish to last receipt and the function's CPU. A channel of more than 1,000 members goes through the shards.
 */
import { DEFAULT_FANOUT_INLINE_MAX, DEFAULT_FANOUT_SHARDS, LAMBDA_ENV } from "../../../src/contract/index.js";
import { defaultProcesses } from "../args.js";
import { type RunResult, type ScenarioSummary, summarize } from "../model.js";
import { progress } from "../progress.js";
import { Session } from "../session/session.js";

/** Both sides of one channel size. */
export interface HistoryResult {
  /** Members of the channel (every client of its stack). */
  k: number;
  /** History off. */
  off: { runs: RunResult[]; summary: ScenarioSummary | null };
  /** History on. */
  on: { runs: RunResult[]; summary: ScenarioSummary | null };
  /** on - off, publish to last receipt (medians), ms; null when either is missing. */
  addedMs: number | null;
  /** on / off, publish to last receipt (medians); null when either is missing. */
  ratio: number | null;
}

/** The channel the scenario publishes to. */
export const HISTORY_CHANNEL = "bench/history";

/** The stack's values of the two sides: off names no channel, on every one (as deployed). */
const SIDES = { off: "", on: "**" } as const;

/**
 * Measures each K: a session of K clients, subscribed, then `runs` publishes with history off and `runs` with it
 * on, in alternation (each switch is UpdateFunctionConfiguration: fresh, warmed environments, then one publish that
 * is not counted, so that the first write's listing of the head is not either).
 * @param ks - the channel sizes
 * @param runs - publishes per side
 */
export async function measureHistory(ks: readonly number[], runs: number): Promise<HistoryResult[]> {
  const results: HistoryResult[] = [];
  for (const k of ks) {
    const session = await Session.open(k, { processes: defaultProcesses(k), drivers: [] });
    try {
      await session.subscribeChannel(HISTORY_CHANNEL, k);
      // A sharded fan-out's invocations (the dispatch and its shards, the stack's defaults) are waited for too.
      const invocations = k > DEFAULT_FANOUT_INLINE_MAX ? 1 + DEFAULT_FANOUT_SHARDS : 1;
      const bySide = { off: [] as RunResult[], on: [] as RunResult[] };
      for (let run = 1; run <= runs; run++) {
        for (const side of ["off", "on"] as const) {
          await session.configure({ [LAMBDA_ENV.historyChannels]: SIDES[side] });
          await session.measureChannel(HISTORY_CHANNEL, k, `history-warm-${k}-${side}-${run}`, invocations);
          const figures = await session.measureChannel(
            HISTORY_CHANNEL,
            k,
            `history-${k}-${side}-${run}`,
            invocations,
          );
          bySide[side].push(figures);
          progress(
            `history ${side}, channel of K = ${k}, run ${run}/${runs}: ${Math.round(figures.publishToLastMs)} ms` +
              (figures.delivery.exactlyOnce ? "" : " (NOT exactly once)"),
          );
        }
      }
      results.push(historyResult(k, bySide.off, bySide.on));
    } finally {
      await session.close();
    }
  }
  return results;
}

/**
 * Pairs the two sides of one K.
 * @param k - the channel's members
 * @param off - the runs with history off
 * @param on - the runs with history on
 */
export function historyResult(k: number, off: RunResult[], on: RunResult[]): HistoryResult {
  const offSide = { runs: off, summary: summarize(off) };
  const onSide = { runs: on, summary: summarize(on) };
  const a = onSide.summary?.publishToLastMs;
  const b = offSide.summary?.publishToLastMs;
  const both = a !== undefined && b !== undefined && b > 0;
  return { k, off: offSide, on: onSide, addedMs: both ? a - b : null, ratio: both ? a / b : null };
}

/**
 * One line per channel size, for the summary.
 * @param results - the history results (none in results measured before the scenario existed)
 */
export function renderHistoryLines(results: readonly HistoryResult[] | undefined): string[] {
  return (results ?? []).map((r) => {
    const ms = (summary: ScenarioSummary | null) =>
      summary ? `${Math.round(summary.publishToLastMs).toLocaleString("en-US")} ms` : "n/a";
    const cpu = (summary: ScenarioSummary | null) =>
      summary?.senderCpuMs == null ? "n/a" : `${Math.round(summary.senderCpuMs).toLocaleString("en-US")} ms`;
    const added = r.addedMs === null ? "n/a" : `${r.addedMs >= 0 ? "+" : ""}${Math.round(r.addedMs)} ms`;
    return (
      `- history: publish to a channel of K = ${r.k.toLocaleString("en-US")}, history off ${ms(r.off.summary)} ` +
      `(Lambda CPU ${cpu(r.off.summary)}), on ${ms(r.on.summary)} (${cpu(r.on.summary)}): added **${added}**, ` +
      `ratio ${r.ratio === null ? "n/a" : r.ratio.toFixed(2)} (loopback; the write of the message at its position ` +
      "comes before the fan-out)"
    );
  });
}
