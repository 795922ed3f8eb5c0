/**
 * One benchmark session: a local stack, N connected clients in child processes, the baseline drivers and an SNS
 * publisher, for one N (the network model is switched on the running stack); and the measurement of one published
 * message in one scenario.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { clientRequest, type LocalStackOutputs } from "../../../src/contract/index.js";
import { LOCAL_CREDENTIALS } from "../../local-stack/emulator/emulator.js";
import { type LocalStack, startLocalStack } from "../../local-stack/index.js";
import type { RunResult, ScenarioId } from "../model.js";
import { progress } from "../progress.js";
import { accountRun, cpuMsBetween, wallClockMs } from "../stats.js";
import { ClientPool, type ConnectFigures, connectClients, shares } from "./clients.js";
import { Driver, type DriverDone } from "./drivers.js";
import { benchMessage, type DriverAlgorithm } from "./ipc.js";
import { LambdaLog } from "./lambda-log.js";

/** Time left for duplicates to show up after the last first receipt. */
const SETTLE_MS = 250;
/**
 * Lambda environments in the local stack unless a session asks for more: also bounds the connect rate (each connect
 * runs $connect there).
 */
const LAMBDA_CONCURRENCY = 4;

/** How a session is set up. */
export interface SessionOptions {
  /** Client processes. */
  processes: number;
  /** Driver processes to start, one per algorithm. */
  drivers: readonly DriverAlgorithm[];
  /** Lambda execution environments (default 4). */
  lambdaConcurrency?: number;
  /** Function environment variables over the local stack's (e.g. `FANOUT_SHARDS`). */
  lambdaEnv?: Record<string, string>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How long a delivery may take before it is declared incomplete. */
function deliveryTimeoutMs(n: number, delayMs: number): number {
  return 60_000 + n * (delayMs + 3);
}

/** One stack with its clients, drivers and publisher, for one N. */
export class Session {
  /** The function's log, read as the runs go. */
  readonly log: LambdaLog;

  private constructor(
    readonly n: number,
    private readonly parts: SessionParts,
    readonly connect: ConnectFigures,
  ) {
    this.log = new LambdaLog(parts.stack.outputs.lambda_log_file);
  }

  /** The stack's outputs. */
  get outputs(): LocalStackOutputs {
    return this.parts.stack.outputs;
  }

  /** The process ids of the function's live execution environments. */
  lambdaPids(): number[] {
    return this.parts.stack.lambda.pids();
  }

  /**
   * Starts a stack, its drivers and N clients, and warms the Lambda; on failure stops whatever had started.
   * @param n - the number of clients
   * @param options - see {@link SessionOptions}
   */
  static async open(n: number, options: SessionOptions): Promise<Session> {
    const stateDir = mkdtempSync(join(tmpdir(), "fanout-bench-"));
    const lambdaConcurrency = options.lambdaConcurrency ?? LAMBDA_CONCURRENCY;
    const stack = await startLocalStack({
      gatewayPort: 0,
      emulatorPort: 0,
      stateDir,
      writeOutputs: false,
      log: false,
      lambdaConcurrency,
      ...(options.lambdaEnv ? { lambdaEnv: options.lambdaEnv } : {}),
      // Open mode, stated in the progress line: the benchmark measures fan-out, and the baselines were taken without
      // an authorizer run per connect.
      authMode: "open",
    });
    const pool = new ClientPool(options.processes);
    const drivers = new Map<DriverAlgorithm, Driver>();
    const sns = new SNSClient({
      endpoint: stack.outputs.sns_endpoint,
      region: stack.outputs.region,
      credentials: LOCAL_CREDENTIALS,
    });
    const parts: SessionParts = { stack, stateDir, pool, drivers, sns, lambdaConcurrency };
    try {
      for (const algorithm of options.drivers) {
        drivers.set(algorithm, await Driver.start(algorithm, stack.outputs));
      }
      const session = new Session(n, parts, await connectClients(stack, pool, n, options.processes));
      await session.warmUp();
      return session;
    } catch (error) {
      await stopAll(parts);
      throw error;
    }
  }

  /** The injected delay on every @connections call, ms (the network model). */
  get delayMs(): number {
    return this.delay;
  }

  set delayMs(ms: number) {
    this.parts.stack.gateway.setManagementDelayMs(ms);
    this.delay = ms;
  }

  private delay = 0;

  /** The @connections calls the gateway allows a second before 429 (0: no limit), the account throttle's model. */
  set rateLimit(perSecond: number) {
    this.parts.stack.gateway.setManagementRateLimit(perSecond);
  }

  /**
   * Sets function environment variables, as UpdateFunctionConfiguration does (later invocations run in fresh
   * environments), and warms the fresh environments before anything is timed.
   * @param variables - the variables to set
   */
  async configure(variables: Record<string, string>): Promise<void> {
    this.parts.stack.lambda.updateEnvironment(variables);
    await this.warmUp();
  }

  /**
   * Pings from a few clients at once so every Lambda environment starts and builds its @connections sender before
   * timing; the pings come from the first client process, so a small N (the channel scenario's stack of K) pings
   * with fewer.
   */
  private async warmUp(): Promise<void> {
    const before = await this.parts.stack.lambda.stats();
    const pings = Math.min(this.parts.lambdaConcurrency * 2, shares(this.n, this.connect.processes)[0] ?? 0);
    this.parts.pool.ping(pings);
    await this.waitInvocations(before.invocations + pings, 30_000);
  }

  private async waitInvocations(target: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await this.parts.stack.lambda.stats()).invocations < target) {
      if (Date.now() > deadline) throw new Error(`the Lambda did not finish within ${timeoutMs} ms`);
      await sleep(20);
    }
  }

  /**
   * Publishes one message in one scenario and accounts for its delivery.
   * @param scenario - the scenario
   * @param runId - the run
   * @param invocations - the Lambda invocations the publish makes (the dispatch and its shards), all waited for so
   *   that the CPU figure holds all of them
   */
  async measure(scenario: ScenarioId, runId: string, invocations = 1): Promise<RunResult> {
    const message = benchMessage(runId);
    const payload = JSON.stringify(message);
    if (scenario === "ours-sns") {
      return this.throughFunction(runId, this.n, invocations, async () => {
        const t0 = wallClockMs();
        await this.parts.sns.send(
          new PublishCommand({ TopicArn: this.outputs.input_sns_topic_arn, Message: payload }),
        );
        return t0;
      });
    }
    if (scenario === "ours-broadcast") {
      return this.throughFunction(runId, this.n, invocations, () =>
        this.parts.pool.sendRequest(runId, clientRequest("broadcast", { message })),
      );
    }
    const timeout = deliveryTimeoutMs(this.n, this.delayMs);
    const complete = this.delivered(runId, timeout);
    if (scenario === "ceiling") {
      const t0 = wallClockMs();
      await this.parts.stack.gateway.sendToAll(payload);
      return this.account(runId, complete, { t0, senderCpuMs: null, senderPeakRssBytes: null });
    }
    const done = await this.drive(scenario, runId, payload, timeout);
    if (done.failed > 0) progress(`${scenario}: ${done.failed} sends failed (first: ${done.firstError})`);
    return this.account(runId, complete, {
      t0: done.t0,
      senderCpuMs: cpuMsBetween(done.before, done.after),
      senderPeakRssBytes: done.after.maxRssBytes,
    });
  }

  /**
   * Subscribes k of the N clients to a channel (once per session and channel).
   * @param channel - the channel
   * @param k - its members
   */
  async subscribeChannel(channel: string, k: number): Promise<void> {
    await this.parts.pool.subscribe(channel, k, 60_000 + k * 50);
  }

  /**
   * Publishes one message to a channel of k members (subscribed by {@link subscribeChannel}) with a publish request
   * from the first client, and accounts for its delivery to those k only (a receipt elsewhere fails the run).
   * @param channel - the channel
   * @param k - its members
   * @param runId - the run
   * @param invocations - the Lambda invocations the publish makes (the dispatch and its shards)
   */
  async measureChannel(channel: string, k: number, runId: string, invocations = 1): Promise<RunResult> {
    const request = clientRequest("publish", { channel, message: benchMessage(runId) });
    return this.throughFunction(
      runId,
      k,
      invocations,
      () => this.parts.pool.sendRequest(runId, request),
      () => this.parts.pool.expect(runId, k),
    );
  }

  /**
   * One publish through the function (ours): the Lambda's CPU and memory over every invocation it makes, waited
   * for, and how its log says it dispatched.
   * @param recipients - the clients that should receive it
   * @param invocations - the invocations the publish makes (the dispatch and its shards)
   * @param publish - publishes; resolves with the wall-clock instant it did
   * @param prepare - tells the client processes what to expect, before anything is sent
   */
  private async throughFunction(
    runId: string,
    recipients: number,
    invocations: number,
    publish: () => Promise<number>,
    prepare?: () => void,
  ): Promise<RunResult> {
    const timeout = deliveryTimeoutMs(recipients, this.delayMs);
    const complete = this.delivered(runId, timeout);
    prepare?.();
    const logFrom = await this.log.end();
    const before = await this.parts.stack.lambda.stats();
    const t0 = await publish();
    await complete;
    await this.waitInvocations(before.invocations + invocations, timeout);
    const after = await this.parts.stack.lambda.stats();
    const sender = { t0, senderCpuMs: cpuMsBetween(before, after), senderPeakRssBytes: after.maxRssBytes };
    return this.account(runId, complete, sender, logFrom);
  }

  /** Resolves true once every client has runId, false when the timeout comes first. */
  private delivered(runId: string, timeoutMs: number): Promise<boolean> {
    return this.parts.pool.waitComplete(runId, timeoutMs).then(
      () => true,
      () => false,
    );
  }

  /**
   * The run's figures: the sender's, and the clients' receipts once the delivery is complete (or timed out) and
   * duplicates have had time to show up.
   * @param logFrom - where the function's log stood before the publish, to read how it dispatched
   */
  private async account(
    runId: string,
    complete: Promise<boolean>,
    sender: Pick<RunResult, "t0" | "senderCpuMs" | "senderPeakRssBytes">,
    logFrom?: number,
  ): Promise<RunResult> {
    await complete;
    await sleep(SETTLE_MS);
    const receipts = await this.parts.pool.report(runId);
    const dispatch = logFrom === undefined ? undefined : await this.log.dispatchSince(logFrom);
    return { ...sender, ...accountRun(receipts, sender.t0), ...(dispatch ? { dispatch } : {}) };
  }

  /** Runs a driver's algorithm once. */
  private async drive(algorithm: DriverAlgorithm, runId: string, payload: string, timeoutMs: number) {
    const driver = this.parts.drivers.get(algorithm);
    if (!driver) throw new Error(`no driver for ${algorithm}`);
    return driver.run(runId, payload, timeoutMs);
  }

  /**
   * Runs a driver of the caller's once and waits until every client has the message exactly once (the profiler).
   * @param driver - a driver started against this session's stack
   * @param runId - the run
   * @returns the driver's report (its CPU before and after) and the run's figures
   */
  async driveToAll(driver: Driver, runId: string): Promise<{ done: DriverDone; figures: RunResult }> {
    const timeout = deliveryTimeoutMs(this.n, this.delayMs);
    const complete = this.delivered(runId, timeout);
    const done = await driver.run(runId, JSON.stringify(benchMessage(runId)), timeout);
    const figures = await this.account(runId, complete, {
      t0: done.t0,
      senderCpuMs: cpuMsBetween(done.before, done.after),
      senderPeakRssBytes: done.after.maxRssBytes,
    });
    return { done, figures };
  }

  /** Stops the stack, the drivers and the clients, and removes the stack's state. */
  async close(): Promise<void> {
    await stopAll(this.parts);
  }
}

/** What a session holds: the stack and what runs beside it. */
interface SessionParts {
  stack: LocalStack;
  stateDir: string;
  pool: ClientPool;
  drivers: Map<DriverAlgorithm, Driver>;
  sns: SNSClient;
  lambdaConcurrency: number;
}

/**
 * Stops what a session started and removes its state. The stack first: closing 10,000 clients first would run
 * 10,000 $disconnects through the Lambda for nothing.
 */
async function stopAll({ stack, drivers, pool, sns, stateDir }: SessionParts): Promise<void> {
  await stack.stop();
  await Promise.allSettled([...[...drivers.values()].map((d) => d.stop()), pool.stop()]);
  sns.destroy();
  rmSync(stateDir, { recursive: true, force: true });
}
