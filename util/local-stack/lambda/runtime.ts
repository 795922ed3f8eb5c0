import { randomUUID } from "node:crypto";
import {
  type EnvironmentOptions,
  ExecutionEnvironment,
  type InvokeOutcome,
  NO_USAGE,
  stoppedError,
} from "./execution-environment.js";
import type { WorkerUsage } from "./ipc.js";

/** How the local Lambda runtime runs the function. */
export interface LambdaRuntimeOptions extends EnvironmentOptions {
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
}

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

/** Adds `usage` to `total`: CPU times summed, peak memory maxed. */
function addUsage(total: WorkerUsage, usage: WorkerUsage): void {
  total.cpuUserMicros += usage.cpuUserMicros;
  total.cpuSystemMicros += usage.cpuSystemMicros;
  total.maxRssBytes = Math.max(total.maxRssBytes, usage.maxRssBytes);
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
