/**
 * The local stack: the whole service on one machine. `startLocalStack` reads as its table of contents; each step is
 * a short function below it, and each part lives in its folder: `gateway/` (API Gateway's WebSocket API and
 * @connections), `lambda/` (the function's runtime), `emulator/` (S3, SNS and SQS, with its fidelity layer and the
 * shard queue's event source mapping), `state/` (the state folder, the token secret, the outputs), `logs/` and
 * `console/` (the web console's server side; the page is `console-page/`).
 */
import { dirname } from "node:path";
import {
  DEFAULT_CONNECTION_PREFIX,
  DEFAULT_FANOUT_WORKER_TIMEOUT_SECONDS,
  DEFAULT_HISTORY_CHANNELS,
  LAMBDA_ENV,
  type LocalStackOutputs,
  ROUTE_KEYS,
} from "../../src/contract/index.js";
import { buildConsoleScript, type ConsoleSource } from "./console/console.js";
import { type Emulator, LOCAL_CREDENTIALS, startEmulator } from "./emulator/emulator.js";
import { type EventSourceMapping, startEventSourceMapping } from "./emulator/event-source-mapping.js";
import { type Gateway, startGateway } from "./gateway/gateway.js";
import type { GatewayOptions } from "./gateway/options.js";
import { type LocalStack, stackHandle } from "./handle.js";
import { invokeAsync } from "./lambda/async-invoke.js";
import { lambdaBaseEnv } from "./lambda/base-env.js";
import { type Built, buildArtifacts } from "./lambda/build.js";
import { LambdaRuntime } from "./lambda/runtime.js";
import { type Logs, openLogs } from "./logs/log-file.js";
import { readyText } from "./ready-text.js";
import { type LocalStackOptions, REGION, resolveSettings, type Settings } from "./settings.js";
import { localOutputs, writeOutputs } from "./state/outputs.js";
import { lockStateDir, StateDirInUseError, type StateLock } from "./state/state-dir.js";
import { ensureTokenSecret, readTokenSecret } from "./state/token-secret.js";

export type { LocalStack } from "./handle.js";
export { PortInUseError } from "./http.js";
export type { LocalStackOptions } from "./settings.js";
export { StateDirInUseError } from "./state/state-dir.js";

/** SNS retries a failed asynchronous Lambda invocation twice (about 1 and 2 minutes later on AWS; sooner here). */
const SNS_RETRY_DELAYS_MS = [1000, 2000];

/** What a start has brought up so far, stopped (in the order of {@link stopParts}) on failure or on `stop()`. */
interface Parts {
  lock?: StateLock;
  logs?: Logs;
  gateway?: Gateway;
  emulator?: Emulator;
  shards?: EventSourceMapping;
  runtime?: LambdaRuntime;
}

/**
 * Starts the whole service on `host`: the S3/SNS emulator, the Lambda runtime running the bundle that is deployed,
 * and the WebSocket gateway in front of it; writes `<stateDir>/outputs.json` when ready.
 * @param options - see {@link LocalStackOptions}
 * @throws StateDirInUseError when another running stack uses the state folder (nothing is written then)
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const started = performance.now();
  const settings = resolveSettings(options);
  const parts: Parts = {};
  let built: Promise<Built> | undefined;
  try {
    parts.lock = await lockStateDir(settings.stateDir);
    const logs = keep(
      parts,
      "logs",
      await openLogs(settings.stateDir, settings.quiet ? undefined : settings.say),
    );
    const tokenSecret =
      settings.authMode === "token" ? await ensureTokenSecret(settings.stateDir) : undefined;
    // Events that arrive before the function runs (it needs both ports) wait for it.
    const lambda = deferred<LambdaRuntime>();
    const context: Context = { settings, logs, lambda: lambda.promise };
    const gateway = await startStackGateway(context);
    parts.gateway = gateway.gateway;
    // Built once the gateway's port is ours, while the emulator starts.
    built = buildArtifacts(settings.buildDir, settings.quiet);
    built.catch(() => undefined);
    const emulator = keep(parts, "emulator", await startStackEmulator(context));
    const shards = keep(parts, "shards", await startShardQueue(context, emulator));
    // The method ARN of the authorizer names the emulator's account, known only now (no event ran before).
    if (gateway.options.authorizer) gateway.options.authorizer.accountId = accountOf(emulator.topicArn);
    const artifacts = await built;
    const wiring: Wiring = { gateway, emulator, shards, tokenSecret };
    const runtime = keep(parts, "runtime", createFunction(context, artifacts, wiring));
    lambda.resolve(runtime);
    const outputs = await publishOutputs(context, wiring);
    settings.say(readyText(settings, outputs, started, artifacts.bundle.bundleBytes));
    return stackHandle(
      outputs,
      gateway,
      runtime,
      emulator,
      once(() => stopParts(parts, settings)),
    );
  } catch (error) {
    if (!(error instanceof StateDirInUseError)) await stopParts(parts, settings, false);
    // Let a build in progress finish before the caller (a test, say) removes the state folder.
    await built?.catch(() => undefined);
    throw error;
  }
}

/** What every step gets: the settings, the logs, and the function (once it runs). */
interface Context {
  settings: Settings;
  logs: Logs;
  lambda: Promise<LambdaRuntime>;
}

/** A gateway and what it is reachable at. */
interface StackGateway {
  gateway: Gateway;
  /** Its options: the stack's handle changes the @connections model in them at run time. */
  options: GatewayOptions;
  managementEndpoint: string;
}

/** The API's routes: the same list the deployed API is synthesized from. */
const API_ROUTE_KEYS: ReadonlySet<string> = new Set(ROUTE_KEYS);

/** The gateway with the API's routes, AWS's limits, the authorizer in token mode, and the web console. */
async function startStackGateway({ settings, logs, lambda }: Context): Promise<StackGateway> {
  const gatewayOptions: GatewayOptions = {
    host: settings.host,
    port: settings.gatewayPort,
    stage: settings.stage,
    apiId: "local00api",
    routes: API_ROUTE_KEYS,
    idleTimeoutMs: settings.idleTimeoutMs,
    maxConnectionMs: settings.maxConnectionMs,
    integrationTimeoutMs: settings.integrationTimeoutMs,
    managementDelayMs: settings.managementDelayMs,
    managementRateLimit: settings.managementRateLimit,
    maxBufferedBytes: settings.maxBufferedBytes,
    invoke: async (event, started) => (await lambda).invoke(event, { started }),
    // Filled in with the emulator's account once it runs; present from the start so no handshake skips it.
    authorizer: settings.authMode === "token" ? { region: REGION, accountId: "000000000000" } : undefined,
    accessLog: (record) => logs.logAccess(record),
    notice: (message) => logs.warn("gateway", message),
    console: consoleSource(settings, logs),
  };
  const gateway = await startGateway(gatewayOptions);
  const managementEndpoint = `http://${settings.host}:${gateway.port}/${settings.stage}`;
  return { gateway, options: gatewayOptions, managementEndpoint };
}

/**
 * What the web console needs: its script (built now, served once ready), the Lambda's log lines, and the stack's
 * token secret when the stack has one (docs/security.md), read for every token request.
 */
function consoleSource(settings: Settings, logs: Logs): ConsoleSource {
  const script = buildConsoleScript();
  script.catch(() => undefined);
  return {
    stage: settings.stage,
    script,
    lambdaLog: logs.lambdaTail,
    tokenSecret: () => readTokenSecret(settings.stateDir),
  };
}

/** The emulator with the connection bucket and the input topic, whose notifications invoke the function. */
function startStackEmulator({ settings, logs, lambda }: Context): Promise<Emulator> {
  return startEmulator({
    host: settings.host,
    port: settings.emulatorPort,
    region: REGION,
    bucket: settings.bucket,
    topicName: settings.topicName,
    functionName: settings.functionName,
    deliveryQueueName: settings.deliveryQueueName,
    deliver: async (event) => invokeAsync(await lambda, event, SNS_RETRY_DELAYS_MS),
    warn: (message) => logs.warn("local stack", message),
  });
}

/**
 * The fan-out shard queue and its event source mapping (docs/scaling.md), feeding the same runtime: locally the
 * shard worker is the function itself, so the mapping's concurrency is the runtime's.
 */
function startShardQueue(
  { settings, logs, lambda }: Context,
  emulator: Emulator,
): Promise<EventSourceMapping> {
  return startEventSourceMapping({
    endpoint: emulator.endpoint,
    region: REGION,
    credentials: LOCAL_CREDENTIALS,
    queueName: settings.shardQueueName,
    batchSize: 1,
    maxConcurrency: settings.lambdaConcurrency,
    visibilityTimeoutSeconds: settings.shardVisibilityTimeoutSeconds,
    maxReceiveCount: 3,
    invoke: async (event) => {
      // Waits for a free environment rather than being throttled away, as the mapping's pollers do; with the
      // worker's timeout, as the worker is its own function on AWS.
      const outcome = await (await lambda).invoke(event, {
        async: true,
        timeoutMs: DEFAULT_FANOUT_WORKER_TIMEOUT_SECONDS * 1000,
      });
      return outcome.status === "ok" ? (outcome.result ?? null) : undefined;
    },
    warn: (message) => logs.warn("local stack", message),
  });
}

/** The parts a start has brought up, which the function and the outputs point at. */
interface Wiring {
  gateway: StackGateway;
  emulator: Emulator;
  shards: EventSourceMapping;
  /** The token secret and its file, in token mode. */
  tokenSecret: { path: string; secret: string } | undefined;
}

/** The function: the deployed bundle in Lambda's environment, with the stack's variables as deployed. */
function createFunction(
  { settings, logs }: Context,
  built: Built,
  { gateway, emulator, shards, tokenSecret }: Wiring,
): LambdaRuntime {
  const base = lambdaBaseEnv({
    functionName: settings.functionName,
    memoryMb: settings.lambdaMemoryMb,
    region: REGION,
    taskRoot: built.taskRoot,
    runtimeDir: dirname(built.workerFile),
    credentials: LOCAL_CREDENTIALS,
  });
  return new LambdaRuntime({
    taskRoot: built.taskRoot,
    workerFile: built.workerFile,
    functionArn: emulator.functionArn,
    concurrency: settings.lambdaConcurrency,
    throttle: settings.lambdaThrottle,
    timeoutMs: settings.lambdaTimeoutMs,
    env: {
      ...base,
      CONNECTION_BUCKET: settings.bucket,
      CONNECTION_PREFIX: DEFAULT_CONNECTION_PREFIX,
      MANAGEMENT_ENDPOINT: gateway.managementEndpoint,
      S3_FORCE_PATH_STYLE: "true",
      AWS_ENDPOINT_URL_S3: emulator.endpoint,
      AWS_ENDPOINT_URL_SQS: emulator.endpoint,
      [LAMBDA_ENV.shardQueueUrl]: shards.queueUrl,
      [LAMBDA_ENV.shardDeadLetterQueueUrl]: shards.deadLetterQueueUrl,
      FANOUT_CONCURRENCY: "100",
      FANOUT_SEND_TIMEOUT_MS: "3000",
      POWERTOOLS_LOG_LEVEL: "INFO",
      // As deployed: every channel keeps history (`--env HISTORY_CHANNELS=` keeps none). The emulator keeps it in
      // memory until the stack stops; it has no lifecycle rule to expire it.
      [LAMBDA_ENV.historyChannels]: DEFAULT_HISTORY_CHANNELS.join(","),
      // As deployed: tokens by default, and events of another API or topic refused.
      [LAMBDA_ENV.authMode]: settings.authMode,
      ...(tokenSecret === undefined ? {} : { [LAMBDA_ENV.tokenSecret]: tokenSecret.secret }),
      [LAMBDA_ENV.expectedApiId]: gateway.options.apiId,
      [LAMBDA_ENV.inputTopicArn]: emulator.topicArn,
      ...settings.lambdaEnv,
    },
    log: (record) => logs.logLambda(record),
  });
}

/** The stack's outputs, written to `<stateDir>/outputs.json` unless the options say not to. */
async function publishOutputs(
  { settings, logs }: Context,
  { gateway, emulator, shards, tokenSecret }: Wiring,
): Promise<LocalStackOutputs> {
  const outputs = localOutputs({
    host: settings.host,
    stage: settings.stage,
    region: REGION,
    functionName: settings.functionName,
    bucket: settings.bucket,
    authMode: settings.authMode,
    gatewayPort: gateway.gateway.port,
    managementEndpoint: gateway.managementEndpoint,
    emulator,
    shardDeadLetterQueueUrl: shards.deadLetterQueueUrl,
    logFiles: { lambda: logs.lambda.path, access: logs.access.path },
    tokenSecretFile: tokenSecret?.path,
  });
  if (settings.writeOutputs) await writeOutputs(settings.stateDir, outputs);
  return outputs;
}

/**
 * Clients first (closed with 1001), then the emulator's delivery, then the function, then the log files and the
 * lock; the last line says so.
 */
async function stopParts(parts: Parts, settings: Settings, announce = true): Promise<void> {
  await parts.gateway?.stop();
  // The shard pollers before the emulator they poll and the runtime they feed: a shard in flight ends first.
  await parts.shards?.stop();
  await parts.emulator?.stop();
  await parts.runtime?.stop();
  await parts.logs?.close();
  await parts.lock?.release();
  if (announce) settings.say("fanout local stack stopped");
}

/** Records a part that has started, so that a failed start or `stop()` stops it; returns it. */
function keep<K extends keyof Parts>(
  parts: Parts,
  key: K,
  part: NonNullable<Parts[K]>,
): NonNullable<Parts[K]> {
  parts[key] = part;
  return part;
}

/** The account id of an ARN (`arn:aws:sns:<region>:<account>:<name>`). */
function accountOf(arn: string): string {
  return arn.split(":")[4] || "000000000000";
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let result: Promise<void> | undefined;
  return () => {
    result ??= fn();
    return result;
  };
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
