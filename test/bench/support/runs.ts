import type { RunResult } from "../../../util/bench/model.js";

/** What sets a made-up run apart; every field has the default the comment gives. */
interface RunShape {
  /** Clients the message went to; default 100. */
  recipients?: number;
  /** Clients that never got it; default 0. */
  missing?: number;
  /** Extra receipts; default 0. */
  duplicated?: number;
  /** The sender's CPU, ms; default 10. */
  cpuMs?: number | null;
  /** The sender's peak RSS, bytes; default 50 MB. */
  rssBytes?: number | null;
}

/**
 * A run of `ms` from publish to the last receipt, for the benchmark's renderers and judges: its latencies and rate
 * follow from `ms`, and it is exactly once unless a client missed it or got it twice.
 */
export function runOf(ms: number, shape: RunShape = {}): RunResult {
  const { recipients = 100, missing = 0, duplicated = 0, cpuMs = 10, rssBytes = 50e6 } = shape;
  return {
    t0: 0,
    publishToLastMs: ms,
    latencyMs: { p50: ms / 2, p99: ms, max: ms },
    deliveriesPerSec: (recipients * 1000) / ms,
    delivery: {
      expected: recipients,
      received: recipients - missing,
      missing,
      duplicated,
      exactlyOnce: missing === 0 && duplicated === 0,
    },
    senderCpuMs: cpuMs,
    senderPeakRssBytes: rssBytes,
  };
}
