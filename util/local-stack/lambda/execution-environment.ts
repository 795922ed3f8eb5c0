/**
 * One Lambda execution environment: a child process (worker.ts, built) that handles one event at a time, with the
 * platform's log lines around each invocation (init, timeout, errors, the `platform.report`).
 */
import { type ChildProcess, fork } from "node:child_process";
import { createInterface } from "node:readline";
import { newTraceId } from "../aws-ids.js";
import type { FunctionError, InvokeRequest, WorkerReply, WorkerUsage } from "./ipc.js";

/** What one execution environment runs and where its log lines go. */
export interface EnvironmentOptions {
  /** The folder holding the bundle's `index.mjs` (`LAMBDA_TASK_ROOT`). */
  taskRoot: string;
  /** The built execution environment script (worker.ts compiled to plain JS). */
  workerFile: string;
  functionArn: string;
  /** The whole environment of the function (Lambda starts from a clean environment too). */
  env: Record<string, string>;
  /** Receives every log record: the function's output lines and the platform's report lines. */
  log: (record: Record<string, unknown>) => void;
}

/** How one invocation ended. */
export type InvokeOutcome =
  | { status: "ok"; requestId: string; result: unknown }
  /** `stopped`: the invocation never ran or was cut off because the local stack is stopping. */
  | { status: "error"; requestId: string; error: FunctionError; stopped?: boolean }
  | { status: "timeout"; requestId: string }
  | { status: "throttled"; requestId: string };

/** The error type of an invocation that never ran because the runtime is stopping. */
export const STOPPED = "Runtime.Stopped";

/** No CPU, no memory: where usage sums start. */
export const NO_USAGE: WorkerUsage = { cpuUserMicros: 0, cpuSystemMicros: 0, maxRssBytes: 0 };

/** What ends an invocation in progress: the child's answer to it, or the child's exit. */
type InvocationEnd = Extract<WorkerReply, { id: number }> | { type: "exit"; code: number | null };

/**
 * The V8 heap flags Lambda's Node.js runtime starts the function with (its bootstrap script): a tenth of the memory
 * for the young generation, split in two semi-spaces, and the rest for the old generation. Without them V8 sizes the
 * heap from this machine's memory and collects later, so RSS would read high.
 * @param memoryMb - `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`; no flags when it is not a positive integer
 */
export function heapFlags(memoryMb: string | undefined): string[] {
  const memory = Number(memoryMb);
  if (!Number.isInteger(memory) || memory <= 0) return [];
  const newSpace = Math.floor(memory / 10);
  return [`--max-semi-space-size=${Math.floor(newSpace / 2)}`, `--max-old-space-size=${memory - newSpace}`];
}

/** One execution environment: a child process that handles one event at a time. */
export class ExecutionEnvironment {
  readonly child: ChildProcess;
  usage: WorkerUsage = NO_USAGE;
  dead = false;
  /** Killed because the runtime stops: its end is not the function's failure and is not logged. */
  stopping = false;
  /** Started before the function's configuration changed: retired once its invocation ends. */
  stale = false;
  /** The request id of the invocation in progress, for the log lines the function writes. */
  requestId: string | undefined;
  private readonly ready: Promise<{ initDurationMs: number } | { error: FunctionError }>;
  private initReported = false;
  private pending: ((end: InvocationEnd) => void) | undefined;
  private nextId = 0;

  constructor(private readonly options: EnvironmentOptions) {
    this.child = fork(options.workerFile, [], {
      cwd: options.taskRoot,
      env: options.env,
      // The parent may run under tsx; the function must not. The heap is sized from the function's memory as
      // Lambda's Node.js runtime does, so that memory figures mean what they would on AWS.
      execArgv: heapFlags(options.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE),
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    for (const [stream, level] of [
      [this.child.stdout, "INFO"],
      [this.child.stderr, "ERROR"],
    ] as const) {
      if (stream) createInterface({ input: stream }).on("line", (line) => this.logLine(line, level));
    }
    this.ready = new Promise((resolve) => {
      this.child.on("message", (reply: WorkerReply) => {
        this.usage = reply.usage;
        if (reply.type === "ready") resolve({ initDurationMs: reply.initDurationMs });
        else if (reply.type === "init-error") resolve({ error: reply.error });
        else this.pending?.(reply);
      });
      // A failed spawn or IPC write; the exit handler below settles the invocation.
      this.child.on("error", (error) => this.log("ERROR", `execution environment: ${error.message}`));
      this.child.on("exit", (code) => {
        this.dead = true;
        resolve({ error: exitError(code) });
        this.pending?.({ type: "exit", code });
      });
    });
  }

  async invoke(event: unknown, requestId: string, timeoutMs: number): Promise<InvokeOutcome> {
    this.requestId = requestId;
    const init = await this.ready;
    // Lambda reports Duration without the Init Duration of a cold start.
    const started = performance.now();
    const initDurationMs = this.initReported || !("initDurationMs" in init) ? undefined : init.initDurationMs;
    this.initReported = true;
    if ("error" in init) {
      this.kill();
      this.report(requestId, started, "error", undefined);
      return { status: "error", requestId, error: init.error };
    }
    const request: InvokeRequest = {
      id: ++this.nextId,
      requestId,
      traceId: newTraceId(Date.now()),
      invokedFunctionArn: this.options.functionArn,
      deadlineMs: Date.now() + timeoutMs,
      event,
    };
    const reply = await new Promise<InvocationEnd | { type: "timeout" }>((resolve) => {
      const timer = setTimeout(() => resolve({ type: "timeout" }), timeoutMs);
      this.pending = (r) => {
        clearTimeout(timer);
        resolve(r);
      };
      this.child.send(request, (error) => {
        if (error) this.pending?.({ type: "exit", code: this.child.exitCode });
      });
    });
    this.pending = undefined;
    if (reply.type === "timeout") {
      // Lambda stops a timed-out environment; the next invocation gets a fresh one (a cold start).
      this.kill();
      this.log("ERROR", `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`);
      this.report(requestId, started, "timeout", initDurationMs);
      return { status: "timeout", requestId };
    }
    if (reply.type === "result") {
      this.report(requestId, started, "success", initDurationMs);
      this.requestId = undefined;
      return { status: "ok", requestId, result: reply.result };
    }
    if (reply.type === "exit" && this.stopping) {
      this.requestId = undefined;
      return { status: "error", requestId, error: stoppedError(), stopped: true };
    }
    const error = reply.type === "error" ? reply.error : exitError(reply.code);
    this.log("ERROR", `Invoke Error ${JSON.stringify(error)}`, error);
    this.report(requestId, started, "error", initDurationMs);
    this.requestId = undefined;
    return { status: "error", requestId, error };
  }

  kill(): void {
    this.dead = true;
    this.child.kill("SIGKILL");
  }

  /** Lambda's JSON log format for `console` lines: the function's JSON lines pass through unchanged. */
  private logLine(line: string, level: string): void {
    if (line.trim() === "") return;
    if (line.startsWith("{")) {
      try {
        this.options.log(JSON.parse(line) as Record<string, unknown>);
        return;
      } catch {
        // Not JSON after all: wrapped below like any other console line.
      }
    }
    this.log(level, line);
  }

  private log(level: string, message: string, extra: object = {}): void {
    this.options.log({
      timestamp: new Date().toISOString(),
      level,
      requestId: this.requestId,
      message,
      ...extra,
    });
  }

  /** Lambda's `platform.report` record (JSON log format), one per invocation. */
  private report(
    requestId: string,
    started: number,
    status: string,
    initDurationMs: number | undefined,
  ): void {
    const durationMs = Math.round((performance.now() - started) * 1000) / 1000;
    this.options.log({
      time: new Date().toISOString(),
      type: "platform.report",
      record: {
        requestId,
        metrics: {
          durationMs,
          billedDurationMs: Math.ceil(durationMs),
          maxMemoryUsedMB: Math.round(this.usage.maxRssBytes / 1048576),
          ...(initDurationMs === undefined
            ? {}
            : { initDurationMs: Math.round(initDurationMs * 1000) / 1000 }),
        },
        status,
      },
    });
  }
}

/** The error of an invocation cut off because the runtime is stopping. */
export function stoppedError(): FunctionError {
  return { errorType: STOPPED, errorMessage: "the local stack is stopping", stackTrace: [] };
}

function exitError(code: number | null): FunctionError {
  return {
    errorType: "Runtime.ExitError",
    errorMessage: `Runtime exited ${code === null ? "on a signal" : `with error: exit status ${code}`}`,
    stackTrace: [],
  };
}
