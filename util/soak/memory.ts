/**
 * Peak memory of the soak's stack: the gateway (this process, which runs the local stack) and the Lambda
 * execution environments (child processes the local Lambda runtime forks from the built `runtime/worker.mjs`).
 * Read from /proc (Linux): VmHWM is the kernel's own high-water mark of a process's resident set, so a peak
 * between two samples is not missed; only a worker that is born and dies between two samples goes unseen.
 */
import { readdirSync, readFileSync } from "node:fs";
import { sep } from "node:path";

/** A `kB` field of /proc/<pid>/status (VmHWM, VmRSS) in bytes, or null when the process is gone or not Linux. */
function statusBytes(pid: number | "self", field: "VmHWM" | "VmRSS"): number | null {
  try {
    const text = readFileSync(`/proc/${pid}/status`, "utf8");
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** The pids of this process's children (every thread's `children` list, Linux 3.5+). */
function childPids(): number[] {
  const pids: number[] = [];
  try {
    for (const task of readdirSync("/proc/self/task")) {
      const text = readFileSync(`/proc/self/task/${task}/children`, "utf8").trim();
      if (text) pids.push(...text.split(/\s+/).map(Number));
    }
  } catch {
    // Not Linux, or a thread that ended between the two reads: what was read is what there is.
  }
  return pids;
}

/** Whether `pid` runs the local Lambda runtime's execution environment script. */
function isLambdaWorker(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(`${sep}runtime${sep}worker.mjs`);
  } catch {
    return false;
  }
}

/** What {@link MemorySampler.result} reports. */
export interface MemoryFigures {
  /** The gateway process's VmHWM: its peak resident set since it started. */
  gatewayPeakRssBytes: number | null;
  /** The gateway's resident set when the clients had connected, and when the publishing ended. */
  gatewayRssAfterConnectBytes: number | null;
  gatewayRssAtEndBytes: number | null;
  /** The highest VmHWM of any Lambda execution environment seen. */
  lambdaPeakRssBytes: number | null;
  /** Execution environments seen over the run (a crashed or timed-out one is replaced by a new pid). */
  lambdaWorkersSeen: number;
  /** The gateway's resident set once per sample period, MB, for a look at its trend. */
  gatewayRssTrendMb: number[];
}

/** Samples the gateway and the Lambda workers every `periodMs` until stopped. */
export class MemorySampler {
  private readonly workerPeaks = new Map<number, number>();
  private readonly trend: number[] = [];
  private readonly timer: NodeJS.Timeout;
  private afterConnect: number | null = null;
  private atEnd: number | null = null;
  private ticks = 0;

  /**
   * @param periodMs - how often to sample the workers
   * @param trendEvery - keep one gateway RSS figure in the trend every this many samples (bounds its length)
   */
  constructor(
    periodMs: number,
    private readonly trendEvery: number,
  ) {
    this.timer = setInterval(() => this.sample(), periodMs);
    this.timer.unref();
  }

  /** Reads the workers' high-water marks (and the gateway's resident set for the trend) now. */
  sample(): void {
    for (const pid of childPids()) {
      if (!this.workerPeaks.has(pid) && !isLambdaWorker(pid)) continue;
      const hwm = statusBytes(pid, "VmHWM");
      if (hwm !== null) this.workerPeaks.set(pid, Math.max(hwm, this.workerPeaks.get(pid) ?? 0));
    }
    if (this.ticks++ % this.trendEvery === 0) {
      const rss = statusBytes("self", "VmRSS");
      if (rss !== null) this.trend.push(Math.round(rss / 2 ** 20));
    }
  }

  /** Marks the end of the connect phase. */
  markConnected(): void {
    this.afterConnect = statusBytes("self", "VmRSS");
  }

  /** Marks the end of publishing. */
  markEnd(): void {
    this.atEnd = statusBytes("self", "VmRSS");
  }

  /** The peak of any Lambda worker seen so far, bytes. */
  lambdaPeak(): number | null {
    return this.workerPeaks.size > 0 ? Math.max(...this.workerPeaks.values()) : null;
  }

  /** Stops sampling and returns the figures. */
  result(): MemoryFigures {
    clearInterval(this.timer);
    return {
      gatewayPeakRssBytes: statusBytes("self", "VmHWM"),
      gatewayRssAfterConnectBytes: this.afterConnect,
      gatewayRssAtEndBytes: this.atEnd,
      lambdaPeakRssBytes: this.lambdaPeak(),
      lambdaWorkersSeen: this.workerPeaks.size,
      gatewayRssTrendMb: this.trend,
    };
  }
}
