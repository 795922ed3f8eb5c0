/**
 * One benchmark session: a local stack, N connected clients in child processes, the baseline drivers and an SNS
 * publisher, for one N (the network model is switched on the running stack); and the measurement of one published
 * message in one scenario.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { clientFrame } from "../../../src/contracts.js";
import { LOCAL_CREDENTIALS } from "../../local-stack/emulator/emulator.js";
import { type LocalStack, startLocalStack } from "../../local-stack/index.js";
import type { RunResult, ScenarioId } from "../model.js";
import { accountRun, cpuMsBetween, wallClockMs } from "../stats.js";
import { ClientPool, shares } from "./clients.js";
import { Driver } from "./drivers.js";
import { benchMessage, type DriverAlgorithm } from "./ipc.js";

/** Connect phase figures per stack. */
export interface ConnectFigures {
  n: number;
  processes: number;
  ms: number;
  perSec: number;
}

/** Time left for duplicates to show up after the last first receipt. */
const SETTLE_MS = 250;
/**
 * Lambda environments in the local stack unless a session asks for more: also bounds the connect rate (each connect
 * runs $connect there).
 */
const LAMBDA_CONCURRENCY = 4;
/** Client connects in flight across all client processes. */
const CONNECT_CONCURRENCY = 32;

/** How a session is set up. */
export interface SessionOptions {
  /** Client processes. */
  processes: number;
  /** Driver processes to start, one per algorithm. */
  drivers: readonly DriverAlgorithm[];
  /** Extra node flags for the drivers (e.g. --cpu-prof). */
  driverExecArgv?: string[];
  /** Lambda execution environments (default 4). */
  lambdaConcurrency?: number;
  /** Function environment variables over the local stack's (e.g. `FANOUT_SHARDS`). */
  lambdaEnv?: Record<string, string>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Prints a progress line on stderr, stamped with the time of day (stdout carries the results). */
export const progress = (line: string) =>
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

/** How long a delivery may take before it is declared incomplete. */
function deliveryTimeoutMs(n: number, delayMs: number): number {
  return 60_000 + n * (delayMs + 3);
}

/** One stack with its clients, drivers and publisher, for one N. */
export class Session {
  private constructor(
    readonly n: number,
    private readonly stack: LocalStack,
    private readonly stateDir: string,
    private readonly pool: ClientPool,
    private readonly drivers: Map<DriverAlgorithm, Driver>,
    private readonly sns: SNSClient,
    readonly connect: ConnectFigures,
    private readonly lambdaConcurrency: number,
  ) {}

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
    const processes = options.processes;
    const pool = new ClientPool(processes);
    const drivers = new Map<DriverAlgorithm, Driver>();
    try {
      const o = stack.outputs;
      const target = {
        managementEndpoint: o.management_endpoint,
        s3Endpoint: o.s3_endpoint,
        bucket: o.connection_bucket,
        prefix: o.connection_prefix,
        region: o.region,
      };
      for (const algorithm of options.drivers) {
        drivers.set(algorithm, await Driver.start(algorithm, target, options.driverExecArgv ?? []));
      }
      progress(
        `N = ${n}: connecting ${n} clients from ${processes} processes (local stack in open mode: no tokens)`,
      );
      const start = performance.now();
      await pool.connect(o.ws_url, n, CONNECT_CONCURRENCY, 120_000 + n * 50);
      const ms = performance.now() - start;
      const live = stack.gateway.connectionCount();
      if (live !== n) throw new Error(`the gateway holds ${live} connections, expected ${n}`);
      progress(`connected ${n} clients in ${Math.round(ms)} ms (${Math.round((n / ms) * 1000)}/s)`);
      const sns = new SNSClient({
        endpoint: o.sns_endpoint,
        region: o.region,
        credentials: LOCAL_CREDENTIALS,
      });
      const session = new Session(
        n,
        stack,
        stateDir,
        pool,
        drivers,
        sns,
        {
          n,
          processes,
          ms,
          perSec: (n / ms) * 1000,
        },
        lambdaConcurrency,
      );
      await session.warmUp();
      return session;
    } catch (error) {
      await stopAll(stack, drivers, pool, stateDir);
      throw error;
    }
  }

  /** The injected delay on every @connections call, ms (the network model). */
  get delayMs(): number {
    return this.delay;
  }

  set delayMs(ms: number) {
    this.stack.gateway.setManagementDelayMs(ms);
    this.delay = ms;
  }

  private delay = 0;

  /** The @connections calls the gateway allows a second before 429 (0: no limit), the account throttle's model. */
  set rateLimit(perSecond: number) {
    this.stack.gateway.setManagementRateLimit(perSecond);
  }

  /**
   * Sets function environment variables, as UpdateFunctionConfiguration does (later invocations run in fresh
   * environments), and warms the fresh environments before anything is timed.
   * @param variables - the variables to set
   */
  async configure(variables: Record<string, string>): Promise<void> {
    this.stack.lambda.updateEnvironment(variables);
    await this.warmUp();
  }

  /** Shards in the dead-letter queue now (read with the SQS API, as a user would read the deployed queue). */
  async deadLetterDepth(): Promise<number> {
    const o = this.stack.outputs;
    const sqs = new SQSClient({ endpoint: o.sqs_endpoint, region: o.region, credentials: LOCAL_CREDENTIALS });
    try {
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: o.shard_dead_letter_queue_url,
          AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        }),
      );
      return (
        Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
        Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
      );
    } finally {
      sqs.destroy();
    }
  }

  /**
   * Lists every key under the connection prefix, 1,000 a page, one page after the other (as one listing does), and
   * returns the keys a second: the local emulator's rate, not S3's.
   */
  async listingRate(): Promise<number> {
    const o = this.stack.outputs;
    const s3 = new S3Client({
      endpoint: o.s3_endpoint,
      region: o.region,
      forcePathStyle: true,
      credentials: LOCAL_CREDENTIALS,
    });
    try {
      const start = performance.now();
      let keys = 0;
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({
            Bucket: o.connection_bucket,
            Prefix: `${o.connection_prefix}/`,
            ContinuationToken: token,
          }),
        );
        keys += page.KeyCount ?? 0;
        token = page.NextContinuationToken;
      } while (token);
      return (keys / (performance.now() - start)) * 1000;
    } finally {
      s3.destroy();
    }
  }

  /** Where the function's log ended at the last look (see {@link logEnd}). */
  private logSeen = 0;

  /**
   * The byte offset just past the last complete line of the function's log now: pass it to {@link lambdaLog} later
   * to read what came since. Reads only what came since the last look, and parses nothing.
   */
  async logEnd(): Promise<number> {
    const bytes = await this.readLog(this.logSeen);
    this.logSeen += bytes.lastIndexOf(0x0a) + 1;
    return this.logSeen;
  }

  /**
   * The function's log lines (one JSON object each) from byte `from` of its log file on, up to the last complete
   * line: a line being written now is read next time.
   * @param from - an offset {@link logEnd} returned
   */
  async lambdaLog(from: number): Promise<Array<Record<string, unknown>>> {
    const bytes = await this.readLog(from);
    return bytes
      .subarray(0, bytes.lastIndexOf(0x0a) + 1)
      .toString("utf8")
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** The function's log file from byte `from` to its end: at N = 10,000 the whole file is megabytes. */
  private async readLog(from: number): Promise<Buffer> {
    const file = await open(this.stack.outputs.lambda_log_file);
    try {
      const length = Math.max(0, (await file.stat()).size - from);
      const bytes = Buffer.alloc(length);
      const { bytesRead } = await file.read(bytes, 0, length, from);
      return bytes.subarray(0, bytesRead);
    } finally {
      await file.close();
    }
  }

  /** How the fan-outs logged since byte `from` of the function's log were dispatched, in words. */
  private async dispatchSince(from: number): Promise<string | undefined> {
    const modes = (await this.lambdaLog(from))
      .filter((line) => line.message === "fan-out dispatched")
      .map((line) => (line.mode === "sharded" ? `sharded into ${String(line.shards)}` : String(line.mode)));
    return modes.length > 0 ? [...new Set(modes)].join(", ") : undefined;
  }

  /**
   * Pings from a few clients at once so every Lambda environment starts and builds its management client before
   * timing; the pings come from the first client process, so a small N (the channel scenario's stack of K) pings
   * with fewer.
   */
  private async warmUp(): Promise<void> {
    const before = await this.stack.lambda.stats();
    const pings = Math.min(this.lambdaConcurrency * 2, shares(this.n, this.connect.processes)[0] ?? 0);
    this.pool.ping(pings);
    await this.waitInvocations(before.invocations + pings, 30_000);
  }

  private async waitInvocations(target: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await this.stack.lambda.stats()).invocations < target) {
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
    const payload = JSON.stringify(benchMessage(runId));
    const timeout = deliveryTimeoutMs(this.n, this.delayMs);
    const complete = this.pool.waitComplete(runId, timeout).then(
      () => true,
      () => false,
    );
    let t0: number;
    let senderCpuMs: number | null = null;
    let senderPeakRssBytes: number | null = null;
    let logFrom: number | undefined;
    if (scenario === "ceiling") {
      t0 = wallClockMs();
      await this.stack.gateway.sendToAll(payload);
    } else if (scenario === "ours-sns" || scenario === "ours-broadcast") {
      logFrom = await this.logEnd();
      const before = await this.stack.lambda.stats();
      if (scenario === "ours-sns") {
        t0 = wallClockMs();
        await this.sns.send(
          new PublishCommand({ TopicArn: this.stack.outputs.input_sns_topic_arn, Message: payload }),
        );
      } else {
        t0 = await this.pool.sendFrame(runId, clientFrame("broadcast", { message: benchMessage(runId) }));
      }
      await complete;
      await this.waitInvocations(before.invocations + invocations, timeout);
      const after = await this.stack.lambda.stats();
      senderCpuMs = cpuMsBetween(before, after);
      senderPeakRssBytes = after.maxRssBytes;
    } else {
      const done = await this.drive(scenario, runId, payload, timeout);
      if (done.failed > 0) progress(`${scenario}: ${done.failed} sends failed (first: ${done.firstError})`);
      t0 = done.t0;
      senderCpuMs = cpuMsBetween(done.before, done.after);
      senderPeakRssBytes = done.after.maxRssBytes;
    }
    await complete;
    await sleep(SETTLE_MS);
    const receipts = await this.pool.report(runId);
    const dispatch = logFrom === undefined ? undefined : await this.dispatchSince(logFrom);
    return {
      t0,
      senderCpuMs,
      senderPeakRssBytes,
      ...accountRun(receipts, t0),
      ...(dispatch ? { dispatch } : {}),
    };
  }

  /**
   * Subscribes k of the N clients to a channel (once per session and channel).
   * @param channel - the channel
   * @param k - its members
   */
  async subscribeChannel(channel: string, k: number): Promise<void> {
    await this.pool.subscribe(channel, k, 60_000 + k * 50);
  }

  /**
   * Publishes one message to a channel of k members (subscribed by {@link subscribeChannel}) with a publish frame
   * from the first client, and accounts for its delivery to those k only (a receipt elsewhere fails the run).
   * @param channel - the channel
   * @param k - its members
   * @param runId - the run
   * @param invocations - the Lambda invocations the publish makes (the dispatch and its shards)
   */
  async measureChannel(channel: string, k: number, runId: string, invocations = 1): Promise<RunResult> {
    const timeout = deliveryTimeoutMs(k, this.delayMs);
    const complete = this.pool.waitComplete(runId, timeout).then(
      () => true,
      () => false,
    );
    this.pool.expect(runId, k);
    const logFrom = await this.logEnd();
    const before = await this.stack.lambda.stats();
    const t0 = await this.pool.sendFrame(
      runId,
      clientFrame("publish", { channel, message: benchMessage(runId) }),
    );
    await complete;
    await this.waitInvocations(before.invocations + invocations, timeout);
    const after = await this.stack.lambda.stats();
    await sleep(SETTLE_MS);
    const receipts = await this.pool.report(runId);
    const dispatch = await this.dispatchSince(logFrom);
    return {
      t0,
      senderCpuMs: cpuMsBetween(before, after),
      senderPeakRssBytes: after.maxRssBytes,
      ...accountRun(receipts, t0),
      ...(dispatch ? { dispatch } : {}),
    };
  }

  /** Runs a driver's algorithm once. */
  private async drive(algorithm: DriverAlgorithm, runId: string, payload: string, timeoutMs: number) {
    const driver = this.drivers.get(algorithm);
    if (!driver) throw new Error(`no driver for ${algorithm}`);
    return driver.run(runId, payload, timeoutMs);
  }

  /** Runs a driver's algorithm once and waits until every client has the message (profiling: no accounting). */
  async driveToAll(algorithm: DriverAlgorithm, runId: string): Promise<number> {
    const timeout = deliveryTimeoutMs(this.n, this.delayMs);
    const complete = this.pool.waitComplete(runId, timeout);
    const done = await this.drive(algorithm, runId, JSON.stringify(benchMessage(runId)), timeout);
    await complete;
    await this.pool.report(runId);
    return wallClockMs() - done.t0;
  }

  /** Stops the stack, the drivers and the clients, and removes the stack's state. */
  async close(): Promise<void> {
    await stopAll(this.stack, this.drivers, this.pool, this.stateDir);
    this.sns.destroy();
  }
}

/**
 * Stops what a session started and removes its state. The stack first: closing 10,000 clients first would run
 * 10,000 $disconnects through the Lambda for nothing.
 */
async function stopAll(
  stack: LocalStack,
  drivers: Map<DriverAlgorithm, Driver>,
  pool: ClientPool,
  stateDir: string,
): Promise<void> {
  await stack.stop();
  await Promise.allSettled([...[...drivers.values()].map((d) => d.stop()), pool.stop()]);
  rmSync(stateDir, { recursive: true, force: true });
}
