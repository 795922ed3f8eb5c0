import { type ChildProcess, fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createInterface } from "node:readline";
import { newTraceId } from "../gateway/events.js";
import type { FunctionError, InvokeRequest, WorkerReply, WorkerUsage } from "./ipc.js";

/** How the local Lambda runtime runs the function. */
export interface LambdaRuntimeOptions {
  /** The folder holding the bundle's `index.mjs` (`LAMBDA_TASK_ROOT`). */
  taskRoot: string;
  /** The built execution environment script (lambda-worker.ts compiled to plain JS). */
  workerFile: string;
  functionName: string;
  functionArn: string;
  /** At most this many execution environments (child processes), started on demand. */
  concurrency: number;
  /**
   * What a synchronous invocation does when every environment is busy: `false` (default) waits for the next free one,
   * as if Lambda had scaled out (the gateway does not count the wait); `true` fails it at once as Lambda throttles
   * past its concurrency limit (429 TooManyRequestsException). Asynchronous invocations always wait: Lambda queues
   * them and retries throttled ones.
   */
  throttle?: boolean;
  /** The function timeout: a longer invocation is killed with its environment. */
  timeoutMs: number;
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

/** How an invocation is made. */
export interface InvokeOptions {
  /** Called once an execution environment has taken the event (after any wait for a free one). */
  started?: () => void;
  /** An asynchronous invocation (SNS): waits for an environment even when the runtime throttles. */
  async?: boolean;
  /**
   * This invocation's timeout instead of the function's: the shard worker is its own function on AWS, with its own
   * timeout, and locally runs in the same environments.
   */
  timeoutMs?: number;
}

/** Summed (CPU) or maxed (memory) over every environment the runtime has run, live or retired. */
export interface LambdaStats {
  invocations: number;
  cpuUserMicros: number;
  cpuSystemMicros: number;
  maxRssBytes: number;
}

/** The error type of an invocation that never ran because the runtime is stopping. */
export const STOPPED = "Runtime.Stopped";

const NO_USAGE: WorkerUsage = { cpuUserMicros: 0, cpuSystemMicros: 0, maxRssBytes: 0 };

/** What ends an invocation in progress: the child's answer to it, or the child's exit. */
type InvocationEnd = Extract<WorkerReply, { id: number }> | { type: "exit"; code: number | null };

/** Adds `usage` to `total`: CPU times summed, peak memory maxed. */
function addUsage(total: WorkerUsage, usage: WorkerUsage): void {
  total.cpuUserMicros += usage.cpuUserMicros;
  total.cpuSystemMicros += usage.cpuSystemMicros;
  total.maxRssBytes = Math.max(total.maxRssBytes, usage.maxRssBytes);
}

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
class ExecutionEnvironment {
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

  constructor(private readonly options: LambdaRuntimeOptions) {
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

function stoppedError(): FunctionError {
  return { errorType: STOPPED, errorMessage: "the local stack is stopping", stackTrace: [] };
}

function exitError(code: number | null): FunctionError {
  return {
    errorType: "Runtime.ExitError",
    errorMessage: `Runtime exited ${code === null ? "on a signal" : `with error: exit status ${code}`}`,
    stackTrace: [],
  };
}

/**
 * Runs the function the way Lambda does: a pool of execution environments started on demand (cold starts), each
 * handling one event at a time and keeping its module state between invocations; a timed-out or crashed
 * environment is replaced. Past the pool, see {@link LambdaRuntimeOptions.throttle}.
 */
export class LambdaRuntime {
  private readonly environments = new Set<ExecutionEnvironment>();
  private readonly idle: ExecutionEnvironment[] = [];
  private readonly waiting: Array<(env: ExecutionEnvironment | undefined) => void> = [];
  private retired: WorkerUsage = { ...NO_USAGE };
  private invocations = 0;
  private stopped = false;
  private options: LambdaRuntimeOptions;

  constructor(options: LambdaRuntimeOptions) {
    this.options = options;
  }

  /** Invokes the function with one event and waits for the outcome (never rejects). */
  async invoke(event: unknown, options: InvokeOptions = {}): Promise<InvokeOutcome> {
    const requestId = randomUUID();
    if (this.options.throttle && !options.async && !this.hasCapacity()) {
      return { status: "throttled", requestId };
    }
    const env = this.stopped ? undefined : await this.acquire();
    if (!env) return { status: "error", requestId, error: stoppedError(), stopped: true };
    options.started?.();
    try {
      return await env.invoke(event, requestId, options.timeoutMs ?? this.options.timeoutMs);
    } finally {
      // Counted when finished, so that a caller can wait for a fan-out to end before reading the CPU figures.
      this.invocations++;
      this.release(env);
    }
  }

  /** CPU and memory of every environment so far (children report `process.resourceUsage()` after each event). */
  stats(): LambdaStats {
    const stats = { invocations: this.invocations, ...this.retired };
    for (const env of this.environments) addUsage(stats, env.usage);
    return stats;
  }

  /** The process ids of the live execution environments. */
  pids(): number[] {
    return [...this.environments].flatMap((env) =>
      env.child.pid === undefined || env.dead ? [] : [env.child.pid],
    );
  }

  /**
   * Sets environment variables of the function, as UpdateFunctionConfiguration does on AWS: later invocations run
   * in fresh execution environments (cold starts) that have them. Idle environments go now; busy ones finish their
   * invocation first, so nothing in flight is lost.
   * @param variables - variables to set, merged over the current ones
   */
  updateEnvironment(variables: Record<string, string>): void {
    this.options = { ...this.options, env: { ...this.options.env, ...variables } };
    for (const env of this.environments) env.stale = true;
    for (const env of this.idle.splice(0)) this.recycle(env);
  }

  /** Whether an invocation would get an environment now, without waiting. */
  private hasCapacity(): boolean {
    return this.idle.some((env) => !env.dead) || this.environments.size < this.options.concurrency;
  }

  /**
   * Kills every environment. Invocations in progress and waiting ones end as `stopped` errors, which nobody logs:
   * stopping the stack is not the function failing.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const env of this.environments) env.stopping = true;
    for (const waiter of this.waiting.splice(0)) waiter(undefined);
    const exits = [...this.environments].map(
      (env) =>
        new Promise<void>((resolve) => {
          if (env.child.exitCode !== null || env.child.signalCode !== null) resolve();
          else env.child.once("exit", () => resolve());
        }),
    );
    for (const env of this.environments) env.kill();
    await Promise.all(exits);
  }

  private acquire(): Promise<ExecutionEnvironment | undefined> {
    for (let env = this.idle.pop(); env; env = this.idle.pop()) {
      // An idle environment can die between invocations (a crash in a timer, say): retire it and look further.
      if (!env.dead) return Promise.resolve(env);
      this.retire(env);
    }
    if (this.environments.size < this.options.concurrency) return Promise.resolve(this.spawn());
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(env: ExecutionEnvironment): void {
    let next: ExecutionEnvironment | undefined = env;
    if (env.dead || env.stale) {
      this.recycle(env);
      next = this.waiting.length > 0 && !this.stopped ? this.spawn() : undefined;
    }
    if (!next) return;
    const waiter = this.waiting.shift();
    if (waiter) waiter(next);
    else this.idle.push(next);
  }

  /** Retires an environment, stopping it first when it still runs (a stale one): no error is logged for that. */
  private recycle(env: ExecutionEnvironment): void {
    if (!env.dead) {
      env.stopping = true;
      env.kill();
    }
    this.retire(env);
  }

  private retire(env: ExecutionEnvironment): void {
    this.environments.delete(env);
    addUsage(this.retired, env.usage);
  }

  private spawn(): ExecutionEnvironment {
    const env = new ExecutionEnvironment(this.options);
    this.environments.add(env);
    return env;
  }
}
