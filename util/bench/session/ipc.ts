/**
 * Messages between the benchmark's main process and its child processes (client holders and baseline drivers),
 * over the Node IPC channel of `child_process.fork`.
 */
import type { ChildProcess } from "node:child_process";
import type { LocalStackOutputs } from "../../../src/contract/index.js";
import type { ClientReceipts, SenderCounters } from "../stats.js";

/** Main -> client process. */
export type ToClients =
  | { type: "connect"; url: string; count: number; concurrency: number }
  | { type: "broadcast"; runId: string; request: string }
  | { type: "ping"; count: number }
  | { type: "report"; runId: string }
  /** Subscribe the process's first `count` sockets to `channel`; answered with `subscribed` once all are. */
  | { type: "subscribe"; channel: string; count: number }
  /** runId goes to the process's first `count` sockets only (a channel's members); a receipt elsewhere is an error. */
  | { type: "expect"; runId: string; count: number }
  | { type: "close" };

/** Client process -> main. */
export type FromClients =
  | { type: "connected"; count: number; failed: number; firstError?: string }
  | { type: "complete"; runId: string }
  | { type: "sent"; runId: string; t0: number }
  | { type: "subscribed"; channel: string; count: number }
  | { type: "report"; runId: string; receipts: ClientReceipts }
  | { type: "error"; message: string };

/**
 * The algorithms that run outside the stack, in a driver process each. `handler` is ours: the Lambda bundle's
 * handler called in a plain process with an SNS event or a shard job ({@link HandlerOptions}), which is what the
 * profiler samples.
 */
export type DriverAlgorithm = "http-ceiling" | "seed" | "aws-sample" | "handler";

/** Where a driver finds the stack: the local outputs it reads. */
export type DriverTarget = Pick<
  LocalStackOutputs,
  "management_endpoint" | "s3_endpoint" | "connection_bucket" | "connection_prefix" | "region"
>;

/**
 * How the `handler` driver invokes the bundle: with an SNS event (`sns`: the dispatch, inline up to the inline
 * maximum) or an SQS shard job over every bucket (`shard`: the shard worker, paced when `FANOUT_SHARD_RATE` is set),
 * with these function variables over the local stack's.
 */
export interface HandlerOptions {
  event: "sns" | "shard";
  env: Record<string, string>;
  /** The built bundle's `index.mjs` (built once by the caller for every driver, its source maps kept). */
  entryFile: string;
}

/** Main -> driver process. */
export type ToDriver =
  | { type: "init"; algorithm: DriverAlgorithm; target: DriverTarget; handler?: HandlerOptions }
  | { type: "run"; runId: string; payload: string }
  /** Starts the V8 CPU profiler (node:inspector), sampling every `intervalMicros`. */
  | { type: "profile-start"; intervalMicros: number }
  /** Stops it and writes the profile to `file`; answered with `profiled`. */
  | { type: "profile-stop"; file: string }
  | { type: "exit" };

/** Driver process -> main. */
export type FromDriver =
  | { type: "ready" }
  | { type: "profiling" }
  | { type: "profiled"; file: string }
  | {
      type: "done";
      runId: string;
      t0: number;
      sent: number;
      failed: number;
      firstError?: string;
      before: SenderCounters;
      after: SenderCounters;
    }
  | { type: "error"; message: string };

/** The message the benchmark publishes: small, JSON, carrying the run id the clients count by. */
export function benchMessage(runId: string): { bench: string; pad: string } {
  // ~100 bytes of padding makes the frame the size of a typical small notification.
  return { bench: runId, pad: "x".repeat(100) };
}

/**
 * The run id of a received frame: the message itself (SNS, direct POSTs, the gateway's ceiling) or wrapped as
 * `{"message": M}` (the broadcast route) or `{"channel":C,"message":M,"id":ID}` (a publish). Undefined for anything
 * else (pongs, errors, acknowledgements).
 */
export function runIdOf(frame: string): string | undefined {
  // Cheap pre-check: 10,000 sockets per message, most frames are ours, but pongs and errors are not JSON we track.
  if (!frame.includes('"bench"')) return undefined;
  try {
    const value: unknown = JSON.parse(frame);
    if (typeof value !== "object" || value === null) return undefined;
    const direct = (value as { bench?: unknown }).bench;
    if (typeof direct === "string") return direct;
    const wrapped = (value as { message?: { bench?: unknown } }).message?.bench;
    return typeof wrapped === "string" ? wrapped : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Asks a child process to leave and resolves once it has; one that has not exited 3 s later is killed, so a stuck
 * child never holds the benchmark up.
 * @param child - a process started with `fork`
 * @param goodbye - the message that tells it to leave
 */
export function stopChild(child: ChildProcess, goodbye: ToClients | ToDriver): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || !child.connected) {
      resolve();
      return;
    }
    const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.send(goodbye);
  });
}
