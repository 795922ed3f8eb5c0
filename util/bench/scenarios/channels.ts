/**
 * The channel scenario (docs/channels.md): a publish to a channel of K members among N connections, against a broadcast
 * to K connections (a stack holding exactly K) in the same benchmark run. A publish lists only the channel's
 * member keys, so its time should follow K: the ratio should not grow with N.
 */
import { defaultProcesses } from "../args.js";
import { type RunResult, type ScenarioSummary, summarize } from "../model.js";
import { progress } from "../progress.js";
import { Session } from "../session/session.js";

/** A channel publish at one N and network model, with the broadcast to K it is compared with. */
export interface ChannelResult {
  /** Connections in the stack. */
  n: number;
  /** Members of the channel. */
  k: number;
  /** Injected delay on every @connections call, ms. */
  delayMs: number;
  /** Publish to the channel of K among N. */
  publish: { runs: RunResult[]; summary: ScenarioSummary | null };
  /** Broadcast in a stack of exactly K connections. */
  broadcastToK: { runs: RunResult[]; summary: ScenarioSummary | null };
  /** publish / broadcastToK, publish to last receipt (medians); null when either is missing. */
  ratio: number | null;
}

/** The channel the benchmark publishes to: a name that says what it holds. */
export function benchChannel(k: number): string {
  return `bench/members-${k}`;
}

/**
 * Publishes `runs` messages to a channel of k members in a session of N clients (subscribing them first).
 * @param session - the open session, its network model set
 * @param k - the channel's members
 * @param runs - messages to publish
 */
export async function measureChannelPublish(session: Session, k: number, runs: number): Promise<RunResult[]> {
  const channel = benchChannel(k);
  const results: RunResult[] = [];
  for (let run = 1; run <= runs; run++) {
    const runId = `channel-${session.n}-${k}-${session.delayMs}-${run}`;
    const figures = await session.measureChannel(channel, k, runId);
    results.push(figures);
    progress(
      `N = ${session.n}, ${session.delayMs ? `${session.delayMs} ms delay` : "loopback"}, run ${run}/${runs}, ` +
        `publish to ${k} members: ${Math.round(figures.publishToLastMs)} ms` +
        (figures.delivery.exactlyOnce
          ? ""
          : ` (NOT exactly once: ${figures.delivery.missing} missing, ${figures.delivery.duplicated} duplicated)`),
    );
  }
  return results;
}

/**
 * The baseline: a stack of exactly k connections, one broadcast per run and network model.
 * @param k - the connections
 * @param delays - the network models (injected delays, ms)
 * @param runs - broadcasts per model
 * @returns the runs per delay
 */
export async function measureBroadcastToK(
  k: number,
  delays: readonly number[],
  runs: number,
): Promise<Map<number, RunResult[]>> {
  const session = await Session.open(k, { processes: defaultProcesses(k), drivers: [] });
  const byDelay = new Map<number, RunResult[]>();
  try {
    for (const delayMs of delays) {
      session.delayMs = delayMs;
      const results: RunResult[] = [];
      for (let run = 1; run <= runs; run++) {
        const figures = await session.measure("ours-broadcast", `broadcast-to-k-${k}-${delayMs}-${run}`);
        results.push(figures);
        progress(
          `N = ${k}, ${delayMs ? `${delayMs} ms delay` : "loopback"}, run ${run}/${runs}, broadcast to ${k}: ` +
            `${Math.round(figures.publishToLastMs)} ms`,
        );
      }
      byDelay.set(delayMs, results);
    }
  } finally {
    await session.close();
  }
  return byDelay;
}

/**
 * Pairs each channel publish with the broadcast to K of the same network model.
 * @param publishes - the publish runs by N and delay
 * @param broadcasts - the broadcast runs by delay
 * @param k - the channel's members
 */
export function channelResults(
  publishes: ReadonlyArray<{ n: number; delayMs: number; runs: RunResult[] }>,
  broadcasts: ReadonlyMap<number, RunResult[]>,
  k: number,
): ChannelResult[] {
  return publishes.map(({ n, delayMs, runs }) => {
    const publish = { runs, summary: summarize(runs) };
    const baseRuns = broadcasts.get(delayMs) ?? [];
    const broadcastToK = { runs: baseRuns, summary: summarize(baseRuns) };
    const a = publish.summary?.publishToLastMs;
    const b = broadcastToK.summary?.publishToLastMs;
    const ratio = a !== undefined && b !== undefined && b > 0 && Number.isFinite(a) ? a / b : null;
    return { n, k, delayMs, publish, broadcastToK, ratio };
  });
}

/**
 * One line per channel result, for the summary: the publish, the broadcast to K and their ratio.
 * @param results - the channel results (none in results measured before the scenario existed)
 */
export function renderChannelLines(results: readonly ChannelResult[] | undefined): string[] {
  return (results ?? []).map((r) => {
    const ms = (summary: ScenarioSummary | null) =>
      summary ? `${Math.round(summary.publishToLastMs).toLocaleString("en-US")} ms` : "n/a";
    const model = r.delayMs ? `${r.delayMs} ms per @connections call` : "loopback";
    return (
      `- channel (${model}): publish to K = ${r.k.toLocaleString("en-US")} members among ` +
      `N = ${r.n.toLocaleString("en-US")} connections ${ms(r.publish.summary)}; broadcast to K connections ` +
      `${ms(r.broadcastToK.summary)}; ratio **${r.ratio === null ? "n/a" : r.ratio.toFixed(2)}** (should not grow with N: ` +
      "a publish lists only the channel's members)"
    );
  });
}
