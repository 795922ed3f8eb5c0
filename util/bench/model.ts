/**
 * The shape of the benchmark's results (what `bench/results.json` holds), the scenarios, the summary of repeated
 * runs and the verdict on the targets set for it. Pure, so the headline ratios are unit-tested.
 */
import { DEFAULT_LAMBDA_MEMORY_MB } from "../../src/contract/index.js";
import { median, type RunFigures } from "./stats.js";

/** Every scenario, in the order the table and the chart show them. */
export const SCENARIOS = [
  "ceiling",
  "http-ceiling",
  "seed",
  "aws-sample",
  "ours-sns",
  "ours-broadcast",
] as const;

/** One way of getting a message to every client. */
export type ScenarioId = (typeof SCENARIOS)[number];

/** What each scenario is, for people. */
export const SCENARIO_LABELS: Record<ScenarioId, string> = {
  ceiling: "ceiling (gateway writes to every socket)",
  "http-ceiling": "HTTP ceiling (bare POSTs, 256 in flight)",
  seed: "sequential (one PostToConnection at a time)",
  "aws-sample": "AWS sample (unbounded Promise.all)",
  "ours-sns": "ours via SNS publish",
  "ours-broadcast": "ours via broadcast frame",
};

/** One published message in one scenario. */
export interface RunResult extends RunFigures {
  /** Wall-clock ms of the publish instant. */
  t0: number;
  /** CPU ms of the sender (the Lambda pool for ours, the driver process for the baselines); null when none. */
  senderCpuMs: number | null;
  /** Peak RSS of the sender so far, bytes (a high-water mark: it never goes down); null when none. */
  senderPeakRssBytes: number | null;
  /** How ours dispatched the fan-out, from its `fan-out dispatched` log line: `inline` or `sharded into K`. */
  dispatch?: string;
}

/** Medians over a scenario's runs (peak RSS: the max). */
export interface ScenarioSummary {
  publishToLastMs: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  deliveriesPerSec: number;
  senderCpuMs: number | null;
  senderPeakRssBytes: number | null;
  /** True when every run delivered exactly once to every client. */
  exactlyOnce: boolean;
}

/** A scenario at one N and one network model. */
export interface ScenarioResult {
  scenario: ScenarioId;
  n: number;
  /** Injected delay on every @connections call, ms (0: loopback as it is). */
  delayMs: number;
  runs: RunResult[];
  summary: ScenarioSummary | null;
  /** Why the scenario was not run, when it was not. */
  skipped?: string;
  /** A bound that holds without running it (e.g. sequential sends take at least N x delay), ms. */
  lowerBoundMs?: number;
}

/** Summarizes a scenario's runs; null when there are none. */
export function summarize(runs: readonly RunResult[]): ScenarioSummary | null {
  if (runs.length === 0) return null;
  const of = (pick: (r: RunResult) => number) => median(runs.map(pick));
  const cpu = runs.map((r) => r.senderCpuMs).filter((v): v is number => v !== null);
  const rss = runs.map((r) => r.senderPeakRssBytes).filter((v): v is number => v !== null);
  return {
    publishToLastMs: of((r) => r.publishToLastMs),
    p50Ms: of((r) => r.latencyMs.p50),
    p99Ms: of((r) => r.latencyMs.p99),
    maxMs: of((r) => r.latencyMs.max),
    deliveriesPerSec: of((r) => r.deliveriesPerSec),
    senderCpuMs: cpu.length > 0 ? median(cpu) : null,
    senderPeakRssBytes: rss.length > 0 ? Math.max(...rss) : null,
    exactlyOnce: runs.every((r) => r.delivery.exactlyOnce),
  };
}

/** The time a scenario stands for in comparisons: its median, or its lower bound when it was not run. */
export function representativeMs(result: ScenarioResult | undefined): number | undefined {
  if (!result) return undefined;
  return result.summary?.publishToLastMs ?? result.lowerBoundMs;
}

/** `a` over `b`, when both are known and `b` is positive. */
export function ratio(a: number | undefined, b: number | undefined): number | undefined {
  return a !== undefined && b !== undefined && b > 0 && Number.isFinite(a) ? a / b : undefined;
}

/** The results of one N under one network model. */
export interface ResultGroup {
  n: number;
  delayMs: number;
  results: ScenarioResult[];
}

/**
 * Groups results by N and network model, in the order the table and the chart show them: loopback first, then by N.
 * @param results - every scenario's result
 */
export function groupByModel(results: readonly ScenarioResult[]): ResultGroup[] {
  const groups = new Map<string, ResultGroup>();
  for (const result of results) {
    const key = `${result.delayMs}/${result.n}`;
    const group = groups.get(key) ?? { n: result.n, delayMs: result.delayMs, results: [] };
    group.results.push(result);
    groups.set(key, group);
  }
  return [...groups.values()].sort((a, b) => a.delayMs - b.delayMs || a.n - b.n);
}

/** One of the goals and how this run measured up. */
export interface GoalVerdict {
  goal: string;
  /** "met", "not met", or "not measured" when the run did not include the figures it needs. */
  status: "met" | "not met" | "not measured";
  /** The measured figures, in words. */
  measured: string;
}

/**
 * The memory a fan-out must fit comfortably: the routes' deployed memory (`lambda_memory_mb`), "comfortably" taken as
 * at most 75 % of it, as the goal has been since it was 256 MB (its share of 256 MB is printed beside).
 */
export const LAMBDA_MEMORY_BYTES = DEFAULT_LAMBDA_MEMORY_MB * 2 ** 20;
const COMFORTABLE_SHARE = 0.75;
const BEFORE_MB = 256;
/** Ours within this multiple of the HTTP ceiling on loopback. */
const CEILING_GOAL = 1.2;

const fmtX = (x: number) => `${x.toFixed(2)}x`;
const fmtMs = (ms: number) => `${Math.round(ms).toLocaleString("en-US")} ms`;

/** Judges the three measured targets on the results (cold start has no threshold: it is reported). */
export function judgeGoals(results: readonly ScenarioResult[], delayMs: number): GoalVerdict[] {
  const find = (scenario: ScenarioId, n: number, delay: number) =>
    results.find((r) => r.scenario === scenario && r.n === n && r.delayMs === delay);
  const ours = ["ours-sns", "ours-broadcast"] as const;
  const verdicts: GoalVerdict[] = [];

  const goal1 = `N = 1,000 and N = 10,000 on loopback: ours within ${CEILING_GOAL}x of the HTTP ceiling, both paths`;
  const speed = [1_000, 10_000].flatMap((n) => {
    const http = representativeMs(find("http-ceiling", n, 0));
    return ours.map((s) => ({ n, s, x: ratio(representativeMs(find(s, n, 0)), http) }));
  });
  verdicts.push(
    speed.some((v) => v.x === undefined)
      ? { goal: goal1, status: "not measured", measured: "" }
      : {
          goal: goal1,
          status: speed.every((v) => (v.x as number) <= CEILING_GOAL) ? "met" : "not met",
          measured: speed
            .map((v) => `N = ${v.n.toLocaleString("en-US")} ${v.s} ${fmtX(v.x as number)}`)
            .join(", "),
        },
  );

  const goal2 = `N = 1,000, ${delayMs} ms delay: ours >= 40x faster than the sequential loop and faster than the AWS sample`;
  const seed = representativeMs(find("seed", 1_000, delayMs));
  const sample = representativeMs(find("aws-sample", 1_000, delayMs));
  const vsSeed = ours.map((s) => ({ s, ms: representativeMs(find(s, 1_000, delayMs)) }));
  if (delayMs <= 0 || seed === undefined || sample === undefined || vsSeed.some((v) => v.ms === undefined)) {
    verdicts.push({ goal: goal2, status: "not measured", measured: "" });
  } else {
    const met = vsSeed.every((v) => seed / (v.ms as number) >= 40 && (v.ms as number) < sample);
    verdicts.push({
      goal: goal2,
      status: met ? "met" : "not met",
      measured: vsSeed
        .map(
          (v) =>
            `${v.s} ${fmtMs(v.ms as number)}: ${fmtX(seed / (v.ms as number))} faster than the sequential loop, ` +
            `${fmtX(sample / (v.ms as number))} faster than the AWS sample`,
        )
        .join("; "),
    });
  }

  const memoryMb = LAMBDA_MEMORY_BYTES / 2 ** 20;
  const goal3 = `N = 10,000: the fan-out fits comfortably in the function's ${memoryMb.toLocaleString("en-US")} MB (peak RSS <= 75%)`;
  const peaks = ours
    .flatMap((s) => [find(s, 10_000, 0), find(s, 10_000, delayMs)])
    .map((r) => r?.summary?.senderPeakRssBytes)
    .filter((v): v is number => typeof v === "number");
  if (peaks.length === 0) verdicts.push({ goal: goal3, status: "not measured", measured: "" });
  else {
    const peak = Math.max(...peaks);
    const share = (mb: number) => Math.round((peak / (mb * 2 ** 20)) * 100);
    verdicts.push({
      goal: goal3,
      status: peak <= LAMBDA_MEMORY_BYTES * COMFORTABLE_SHARE ? "met" : "not met",
      measured:
        `peak RSS ${(peak / 2 ** 20).toFixed(1)} MB (${share(memoryMb)}% of ${memoryMb.toLocaleString("en-US")} MB; ` +
        `${share(BEFORE_MB)}% of the ${BEFORE_MB} MB of before)`,
    });
  }
  return verdicts;
}
