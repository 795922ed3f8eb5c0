/**
 * The benchmark's arithmetic: percentiles, exactly-once accounting of what the clients received, and the summary of
 * repeated runs. Pure functions, so the figures the benchmark prints are unit-tested (test/bench/stats.test.ts).
 */

/**
 * The nearest-rank percentile of `values` (p in [0, 100]): the smallest value with at least p% of the values at or
 * below it. Nearest-rank never invents a value that was not measured, which matters for "max" and small samples.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError("percentile of an empty list");
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

/** The median of a non-empty list (the mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("median of an empty list");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * The clock every benchmark process stamps with (publish instants and receipts), in wall-clock ms: each process's
 * time origin plus its monotonic `performance.now()`, finer than `Date.now()` and comparable across processes.
 */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/** What one client process saw of one published message: per socket, how often it arrived and when first. */
export interface ClientReceipts {
  /** Per socket: how many times the message arrived (exactly-once means 1 everywhere). */
  counts: number[];
  /** Per socket: {@link wallClockMs} of the first arrival, or -1. */
  firstAt: number[];
}

/** Whether every recipient got the message exactly once, and if not, how it failed. */
interface Delivery {
  /** Sockets that should have received the message. */
  expected: number;
  /** Sockets that received it at least once. */
  received: number;
  /** Sockets that never received it. */
  missing: number;
  /** Sockets that received it more than once. */
  duplicated: number;
  /** True when every socket received it exactly once. */
  exactlyOnce: boolean;
}

/** Latency and throughput of one published message, measured from the publish instant `t0`. */
export interface RunFigures {
  /** From publish to the last recipient's first receipt, ms (NaN when nobody received it). */
  publishToLastMs: number;
  /** Per-recipient latency (first receipt minus publish), ms. */
  latencyMs: { p50: number; p99: number; max: number };
  /** Recipients reached per second over publishToLastMs. */
  deliveriesPerSec: number;
  delivery: Delivery;
}

/**
 * Accounts one published message over every client process's receipts: exactly-once per socket, the latency of
 * each first receipt relative to `t0`, and the throughput. Missing recipients count against exactly-once and are
 * left out of the latencies (they have none); the caller reports both.
 */
export function accountRun(reports: readonly ClientReceipts[], t0: number): RunFigures {
  const latencies: number[] = [];
  let expected = 0;
  let missing = 0;
  let duplicated = 0;
  for (const report of reports) {
    if (report.counts.length !== report.firstAt.length) {
      throw new RangeError("a client report has different lengths for counts and firstAt");
    }
    report.counts.forEach((count, i) => {
      expected += 1;
      if (count === 0) missing += 1;
      else {
        if (count > 1) duplicated += 1;
        latencies.push((report.firstAt[i] as number) - t0);
      }
    });
  }
  const delivery: Delivery = {
    expected,
    received: expected - missing,
    missing,
    duplicated,
    exactlyOnce: missing === 0 && duplicated === 0,
  };
  if (latencies.length === 0) {
    return {
      publishToLastMs: Number.NaN,
      latencyMs: { p50: Number.NaN, p99: Number.NaN, max: Number.NaN },
      deliveriesPerSec: 0,
      delivery,
    };
  }
  const max = percentile(latencies, 100);
  return {
    publishToLastMs: max,
    latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max },
    deliveriesPerSec: max > 0 ? (latencies.length / max) * 1000 : Number.POSITIVE_INFINITY,
    delivery,
  };
}

/** Cumulative counters of a process (or a pool of processes) that sent the messages. */
export interface SenderCounters {
  cpuUserMicros: number;
  cpuSystemMicros: number;
  maxRssBytes: number;
}

/** CPU ms spent between two readings of the same counters. */
export function cpuMsBetween(before: SenderCounters, after: SenderCounters): number {
  return (
    (after.cpuUserMicros - before.cpuUserMicros + (after.cpuSystemMicros - before.cpuSystemMicros)) / 1000
  );
}
