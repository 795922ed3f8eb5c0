import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { DEFAULT_FANOUT_WORKER_TIMEOUT_SECONDS } from "../../src/config.js";
import {
  type AUTH_MODES,
  LAMBDA_ENV,
  LAMBDA_HANDLER,
  LAMBDA_NODE_TARGET,
  LAMBDA_RUNTIME,
  LOCAL_OUTPUTS_PATH,
  type LocalStackOutputs,
  ROUTE_KEYS,
} from "../../src/contracts.js";
import {
  DEFAULT_CONNECTION_PREFIX,
  IDLE_TIMEOUT_MS,
  INTEGRATION_TIMEOUT_MS,
  MAX_CONNECTION_MS,
} from "../../src/limits.js";
import { buildLambdaBundle, type LambdaBundle } from "../build/lambda-bundle.js";
import { repoRoot } from "../lib/repo.js";
import {
  buildConsoleScript,
  type ConsoleSource,
  consoleUrl,
  LogTail,
  TOKEN_SECRET_FILE,
} from "./console/console.js";
import { type Emulator, LOCAL_CREDENTIALS, startEmulator } from "./emulator/emulator.js";
import { type EventSourceMapping, startEventSourceMapping } from "./emulator/event-source-mapping.js";
import {
  type AccessLogRecord,
  DEFAULT_MAX_BUFFERED_BYTES,
  type Gateway,
  type GatewayOptions,
  startGateway,
} from "./gateway/gateway.js";
import { LambdaRuntime, type LambdaStats, STOPPED } from "./lambda/runtime.js";
import { formatAccess, formatLambda, JsonLogFile } from "./logs/format.js";
import { buildAtomically, lockStateDir, StateDirInUseError, type StateLock } from "./state/state-dir.js";
import { ensureTokenSecret } from "./state/token-secret.js";

export { PortInUseError } from "./http.js";
export { StateDirInUseError } from "./state/state-dir.js";
export type { LambdaStats };

/** Options of {@link startLocalStack}; every one has a default. */
export interface LocalStackOptions {
  /** The address every server binds; default `127.0.0.1`. */
  host?: string;
  /** WebSocket and @connections port; 0 picks a free one; default 4510. */
  gatewayPort?: number;
  /** S3/SNS emulator port; 0 picks a free one; default 4566. */
  emulatorPort?: number;
  /** The API stage (the URL path); default `local`. */
  stage?: string;
  /** Where `outputs.json`, `logs/` and the built bundle go; default `<repo>/.local`. */
  stateDir?: string;
  /** Write `<stateDir>/outputs.json` when ready; default true. */
  writeOutputs?: boolean;
  /** At most this many Lambda execution environments (child processes); default 4. */
  lambdaConcurrency?: number;
  /** The function timeout; default 30,000 ms, as deployed. */
  lambdaTimeoutMs?: number;
  /** Close a connection after this long without a message; default AWS's 10 minutes. */
  idleTimeoutMs?: number;
  /** Close every connection after this long; default AWS's 2 hours. */
  maxConnectionMs?: number;
  /** Delay added to every @connections call (POST, GET, DELETE): a network model for the benchmark; default 0. */
  managementDelayMs?: number;
  /** @connections calls a second before 429 LimitExceededException (a token bucket of half that); default 0 (no limit). */
  managementRateLimit?: number;
  /** Past `lambdaConcurrency` busy environments, throttle synchronous invocations as Lambda does; default false (wait). */
  lambdaThrottle?: boolean;
  /** API Gateway's integration timeout; default AWS's 29 s (a test shortens it). */
  integrationTimeoutMs?: number;
  /** Bytes waiting to be written to one client before it is closed as a slow consumer (1008); default 1 MiB. */
  maxBufferedBytes?: number;
  /**
   * `token` (default, as deployed): clients need a signed token (`?token=`), checked by the function as the
   * `$connect` authorizer, with a secret kept in `<stateDir>/token-secret`. `open`: anyone may connect, with every
   * right (`npm start -- --open`).
   */
  authMode?: (typeof AUTH_MODES)[number];
  /** Extra or overriding environment variables of the function (e.g. `FANOUT_CONCURRENCY`). */
  lambdaEnv?: Record<string, string>;
  /** Where the live terminal output goes (the ready text and both logs, readable); `false` for none. Default stdout. */
  log?: ((line: string) => void) | false;
}

/** A running local stack. */
export interface LocalStack {
  /** The same values as `<stateDir>/outputs.json`. */
  outputs: LocalStackOutputs;
  gateway: {
    /** Live WebSocket connections. */
    connectionCount(): number;
    /** The physical ceiling: the gateway writes `data` to every socket itself; resolves with the count written. */
    sendToAll(data: string | Uint8Array): Promise<number>;
    /** Changes the injected @connections delay for every later call. */
    setManagementDelayMs(ms: number): void;
    /** Changes the @connections calls allowed a second before 429 (0: none), as `--management-rate-limit`. */
    setManagementRateLimit(perSecond: number): void;
  };
  lambda: {
    /** Completed invocations, CPU summed and peak RSS maxed over every execution environment so far. */
    stats(): Promise<LambdaStats>;
    /** The process ids of the live execution environments (fault tests stop or kill them). */
    pids(): number[];
    /** Sets function environment variables for later invocations, in fresh environments (UpdateFunctionConfiguration). */
    updateEnvironment(variables: Record<string, string>): void;
  };
  emulator: {
    /** Fault injection: while `down`, the connection store (the emulator's S3) answers 503 to every request. */
    setStoreDown(down: boolean): void;
    /** Fault injection: every later request to the connection store is held this long first. */
    setStoreDelayMs(ms: number): void;
  };
  /** Closes every client with 1001 and stops everything; safe to call twice. */
  stop(): Promise<void>;
}

/** The API's routes: the same list the deployed API is synthesized from. */
export const API_ROUTE_KEYS: ReadonlySet<string> = new Set(ROUTE_KEYS);
const REGION = "us-east-1";
const LAMBDA_MEMORY_MB = 256;
/** SNS retries a failed asynchronous Lambda invocation twice (about 1 and 2 minutes later on AWS; sooner here). */
const SNS_RETRY_DELAYS_MS = [1000, 2000];

/** Every setting of one local stack, defaults applied. */
interface Settings {
  host: string;
  stage: string;
  stateDir: string;
  buildDir: string;
  functionName: string;
  bucket: string;
  lambdaConcurrency: number;
  lambdaTimeoutMs: number;
  authMode: (typeof AUTH_MODES)[number];
  say: (line: string) => void;
}

/** What a start has brought up so far, stopped in reverse on failure or on `stop()`. */
interface Parts {
  lock?: StateLock;
  logs?: Logs;
  gateway?: Gateway;
  emulator?: Emulator;
  runtime?: LambdaRuntime;
  shards?: EventSourceMapping;
  /** The token secret (token mode). */
  tokenSecret?: { path: string; secret: string };
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
    parts.logs = await openLogs(settings);
    if (settings.authMode === "token") parts.tokenSecret = await ensureTokenSecret(settings.stateDir);
    // Events that arrive before the runtime exists (it needs both ports) wait for it.
    const runtime = deferred<LambdaRuntime>();
    const gateway = await startLocalGateway(options, settings, parts.logs, runtime.promise);
    parts.gateway = gateway.gateway;
    // Built once the gateway port is ours, while the emulator starts.
    built = buildArtifacts(settings, options.log === false);
    built.catch(() => undefined);
    parts.emulator = await startLocalEmulator(options, settings, parts.logs, runtime.promise);
    parts.shards = await startShardQueue(settings, parts.emulator, parts.logs, runtime.promise);
    // The method ARN of the authorizer names the emulator's account, known only now (no event ran before).
    if (gateway.options.authorizer) gateway.options.authorizer.accountId = accountOf(parts.emulator.topicArn);
    const bundle = await built;
    parts.runtime = createRuntime(
      options,
      settings,
      parts.logs,
      bundle,
      parts.emulator,
      gateway.managementEndpoint,
      parts.shards,
      { apiId: gateway.options.apiId, tokenSecret: parts.tokenSecret?.secret },
    );
    runtime.resolve(parts.runtime);
    const outputs = await writeOutputs(
      options,
      settings,
      parts.logs,
      gateway,
      parts.emulator,
      parts.shards,
      parts.tokenSecret?.path,
    );
    settings.say(readyText(options, settings, outputs, bundle, started));
    return stackHandle(
      outputs,
      gateway,
      parts.runtime,
      parts.emulator,
      once(() => stopParts(parts, settings)),
    );
  } catch (error) {
    if (!(error instanceof StateDirInUseError)) await stopParts(parts, settings, false);
    // Let a build in progress finish before the caller (a test, say) removes the state folder.
    await built?.catch(() => undefined);
    throw error;
  }
}

function resolveSettings(options: LocalStackOptions): Settings {
  const stage = options.stage ?? "local";
  // The default folder is where the `util/` CLIs look with `--local`.
  const stateDir = resolve(options.stateDir ?? join(repoRoot, dirname(LOCAL_OUTPUTS_PATH)));
  return {
    host: options.host ?? "127.0.0.1",
    stage,
    stateDir,
    buildDir: join(stateDir, "build"),
    functionName: `fanout-${stage}`,
    bucket: `fanout-${stage}-connections`,
    lambdaConcurrency: options.lambdaConcurrency ?? 4,
    lambdaTimeoutMs: options.lambdaTimeoutMs ?? 30_000,
    authMode: options.authMode ?? "token",
    say: options.log === false ? () => undefined : (options.log ?? ((line: string) => console.log(line))),
  };
}

/** The two log files, each line also shown on the terminal when it is written (arrival order). */
interface Logs {
  access: JsonLogFile;
  lambda: JsonLogFile;
  /** The Lambda's recent and live log records, for the console. */
  lambdaTail: LogTail;
  logAccess(record: AccessLogRecord): void;
  logLambda(record: Record<string, unknown>): void;
}

async function openLogs(settings: Settings): Promise<Logs> {
  await mkdir(join(settings.stateDir, "logs"), { recursive: true });
  const access = new JsonLogFile(join(settings.stateDir, "logs", "access.log"));
  const lambda = new JsonLogFile(join(settings.stateDir, "logs", "lambda.log"));
  const lambdaTail = new LogTail();
  return {
    access,
    lambda,
    lambdaTail,
    logAccess(record) {
      access.write(record);
      settings.say(formatAccess(record));
    },
    logLambda(record) {
      lambda.write(record);
      lambdaTail.push(record);
      settings.say(formatLambda(record));
    },
  };
}

/** A gateway and what it is reachable at. */
interface LocalGateway {
  gateway: Gateway;
  options: GatewayOptions;
  managementEndpoint: string;
}

async function startLocalGateway(
  options: LocalStackOptions,
  settings: Settings,
  logs: Logs,
  runtime: Promise<LambdaRuntime>,
): Promise<LocalGateway> {
  const gatewayOptions: GatewayOptions = {
    host: settings.host,
    port: options.gatewayPort ?? 4510,
    stage: settings.stage,
    apiId: "local00api",
    routes: API_ROUTE_KEYS,
    idleTimeoutMs: options.idleTimeoutMs ?? IDLE_TIMEOUT_MS,
    maxConnectionMs: options.maxConnectionMs ?? MAX_CONNECTION_MS,
    integrationTimeoutMs: options.integrationTimeoutMs ?? INTEGRATION_TIMEOUT_MS,
    managementDelayMs: options.managementDelayMs ?? 0,
    managementRateLimit: options.managementRateLimit ?? 0,
    maxBufferedBytes: options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES,
    invoke: async (event, started) => (await runtime).invoke(event, { started }),
    // Filled in with the emulator's account once it runs; present from the start so no handshake skips it.
    authorizer: settings.authMode === "token" ? { region: REGION, accountId: "000000000000" } : undefined,
    accessLog: (record) => logs.logAccess(record),
    notice: (message) =>
      logs.logLambda({ timestamp: new Date().toISOString(), level: "WARN", message: `gateway: ${message}` }),
    console: consoleSource(settings, logs),
  };
  const gateway = await startGateway(gatewayOptions);
  const managementEndpoint = `http://${settings.host}:${gateway.port}/${settings.stage}`;
  return { gateway, options: gatewayOptions, managementEndpoint };
}

/**
 * What the web console needs: its script (built now, served once ready), the Lambda's log lines, and the stack's
 * token secret when the stack has one (`<stateDir>/token-secret`, docs/security.md), read for every token request.
 */
function consoleSource(settings: Settings, logs: Logs): ConsoleSource {
  const script = buildConsoleScript();
  script.catch(() => undefined);
  return {
    stage: settings.stage,
    script,
    lambdaLog: logs.lambdaTail,
    tokenSecret: async () => {
      const secret = await readFile(join(settings.stateDir, TOKEN_SECRET_FILE), "utf8").catch(
        () => undefined,
      );
      return secret?.trim() || undefined;
    },
  };
}

/** The function bundle and the execution environment script, built where the runtime loads them from. */
interface Built {
  bundle: LambdaBundle;
  taskRoot: string;
  workerFile: string;
}

async function buildArtifacts(settings: Settings, quiet: boolean): Promise<Built> {
  // Written whole or not at all: a crash mid-build leaves the previous bundle in place.
  const bundle = await buildAtomically(settings.buildDir, async (dir) => {
    const [bundle] = await Promise.all([
      buildLambdaBundle({ outDir: dir, quiet }),
      buildWorker(join(dir, "runtime", "worker.mjs")),
    ]);
    return bundle;
  });
  return {
    bundle,
    taskRoot: join(settings.buildDir, "lambda"),
    workerFile: join(settings.buildDir, "runtime", "worker.mjs"),
  };
}

function startLocalEmulator(
  options: LocalStackOptions,
  settings: Settings,
  logs: Logs,
  runtime: Promise<LambdaRuntime>,
): Promise<Emulator> {
  return startEmulator({
    host: settings.host,
    port: options.emulatorPort ?? 4566,
    region: REGION,
    bucket: settings.bucket,
    topicName: `fanout-${settings.stage}-input`,
    functionName: settings.functionName,
    deliveryQueueName: `fanout-${settings.stage}-lambda-delivery`,
    deliver: async (event) => deliverAsync(await runtime, event),
    warn: (message) =>
      logs.logLambda({
        timestamp: new Date().toISOString(),
        level: "WARN",
        message: `local stack: ${message}`,
      }),
  });
}

/**
 * SNS invokes Lambda asynchronously: Lambda queues the event (never throttled away) and retries a failed run twice.
 * A run cut off by a stop is not retried.
 */
async function deliverAsync(runtime: LambdaRuntime, event: unknown): Promise<void> {
  for (const delay of [0, ...SNS_RETRY_DELAYS_MS]) {
    if (delay > 0) await sleep(delay);
    const outcome = await runtime.invoke(event, { async: true });
    if (outcome.status === "ok") return;
    if (outcome.status === "error" && outcome.error.errorType === STOPPED) return;
  }
}

/**
 * The fan-out shard queue and its event source mapping (docs/scaling.md), feeding the same runtime: locally the
 * shard worker is the function itself, so the mapping's concurrency is the runtime's.
 */
function startShardQueue(
  settings: Settings,
  emulator: Emulator,
  logs: Logs,
  runtime: Promise<LambdaRuntime>,
): Promise<EventSourceMapping> {
  return startEventSourceMapping({
    endpoint: emulator.endpoint,
    region: REGION,
    credentials: LOCAL_CREDENTIALS,
    queueName: `fanout-${settings.stage}-shards`,
    batchSize: 1,
    maxConcurrency: settings.lambdaConcurrency,
    // As deployed: six times the worker's timeout.
    visibilityTimeoutSeconds: 6 * DEFAULT_FANOUT_WORKER_TIMEOUT_SECONDS,
    maxReceiveCount: 3,
    invoke: async (event) => {
      // Waits for a free environment rather than being throttled away, as the mapping's pollers do; with the
      // worker's timeout, as the worker is its own function on AWS.
      const outcome = await (await runtime).invoke(event, {
        async: true,
        timeoutMs: DEFAULT_FANOUT_WORKER_TIMEOUT_SECONDS * 1000,
      });
      return outcome.status === "ok" ? (outcome.result ?? null) : undefined;
    },
    warn: (message) =>
      logs.logLambda({
        timestamp: new Date().toISOString(),
        level: "WARN",
        message: `local stack: ${message}`,
      }),
  });
}

function createRuntime(
  options: LocalStackOptions,
  settings: Settings,
  logs: Logs,
  built: Built,
  emulator: Emulator,
  managementEndpoint: string,
  shards: EventSourceMapping,
  auth: { apiId: string; tokenSecret: string | undefined },
): LambdaRuntime {
  const { functionName } = settings;
  return new LambdaRuntime({
    taskRoot: built.taskRoot,
    workerFile: built.workerFile,
    functionName,
    functionArn: emulator.functionArn,
    concurrency: settings.lambdaConcurrency,
    throttle: options.lambdaThrottle ?? false,
    timeoutMs: settings.lambdaTimeoutMs,
    env: {
      ...lambdaBaseEnv(functionName, built.taskRoot, dirname(built.workerFile)),
      CONNECTION_BUCKET: settings.bucket,
      CONNECTION_PREFIX: DEFAULT_CONNECTION_PREFIX,
      MANAGEMENT_ENDPOINT: managementEndpoint,
      S3_FORCE_PATH_STYLE: "true",
      AWS_ENDPOINT_URL_S3: emulator.endpoint,
      AWS_ENDPOINT_URL_SQS: emulator.endpoint,
      FANOUT_QUEUE_URL: shards.queueUrl,
      FANOUT_CONCURRENCY: "100",
      FANOUT_SEND_TIMEOUT_MS: "3000",
      POWERTOOLS_LOG_LEVEL: "INFO",
      // As deployed: tokens by default, and events of another API or topic refused.
      [LAMBDA_ENV.authMode]: settings.authMode,
      ...(auth.tokenSecret === undefined ? {} : { [LAMBDA_ENV.tokenSecret]: auth.tokenSecret }),
      [LAMBDA_ENV.expectedApiId]: auth.apiId,
      [LAMBDA_ENV.inputTopicArn]: emulator.topicArn,
      ...options.lambdaEnv,
    },
    log: (record) => logs.logLambda(record),
  });
}

async function writeOutputs(
  options: LocalStackOptions,
  settings: Settings,
  logs: Logs,
  gateway: LocalGateway,
  emulator: Emulator,
  shards: EventSourceMapping,
  tokenSecretFile: string | undefined,
): Promise<LocalStackOutputs> {
  const outputs: LocalStackOutputs = {
    ws_url: `ws://${settings.host}:${gateway.gateway.port}/${settings.stage}`,
    lambda_function_name: settings.functionName,
    input_sns_topic_arn: emulator.topicArn,
    lambda_log_group: logs.lambda.path,
    api_gw_log_group: logs.access.path,
    management_endpoint: gateway.managementEndpoint,
    connection_bucket: settings.bucket,
    sns_endpoint: emulator.endpoint,
    s3_endpoint: emulator.endpoint,
    sqs_endpoint: emulator.endpoint,
    region: REGION,
    connection_prefix: DEFAULT_CONNECTION_PREFIX,
    lambda_log_file: logs.lambda.path,
    access_log_file: logs.access.path,
    auth_mode: settings.authMode,
    // No Secrets Manager here: the CLIs read token_secret_file instead.
    token_secret_arn: "",
    shard_dead_letter_queue_url: shards.deadLetterQueueUrl,
    ...(tokenSecretFile === undefined ? {} : { token_secret_file: tokenSecretFile }),
    // The CLIs check it: outputs left by a stack that was killed must not send them to a dead endpoint.
    pid: String(process.pid),
  };
  if (options.writeOutputs !== false) {
    const file = outputsFile(settings);
    await writeFile(`${file}.tmp`, `${JSON.stringify(outputs, null, 2)}\n`);
    await rename(`${file}.tmp`, file);
  }
  return outputs;
}

function outputsFile(settings: Settings): string {
  return join(settings.stateDir, basename(LOCAL_OUTPUTS_PATH));
}

function readyText(
  options: LocalStackOptions,
  settings: Settings,
  outputs: LocalStackOutputs,
  built: Built,
  started: number,
): string {
  const shown = (path: string) => (path.startsWith(repoRoot) ? relative(process.cwd(), path) || "." : path);
  return [
    `fanout local stack ready in ${((performance.now() - started) / 1000).toFixed(1)} s (stage "${settings.stage}")`,
    `  Console       ${consoleUrl(outputs.ws_url)}`,
    `  WebSocket     ${outputs.ws_url}`,
    `  @connections  ${outputs.management_endpoint}/@connections/{connectionId}`,
    `  S3 + SNS      ${outputs.s3_endpoint}  bucket ${settings.bucket}, topic ${outputs.input_sns_topic_arn}`,
    `  Lambda        ${settings.functionName}: ${(built.bundle.bundleBytes / 1024).toFixed(0)} KiB bundle, ` +
      `up to ${settings.lambdaConcurrency} environments${options.lambdaThrottle ? " (then throttled)" : ""}, ` +
      `timeout ${settings.lambdaTimeoutMs / 1000} s`,
    settings.authMode === "token"
      ? `  Auth          tokens required (?token=…): mint one with util/token --local --sub NAME --broadcast --url; secret ${shown(outputs.token_secret_file ?? "")}`
      : "  Auth          OPEN: anyone may connect, broadcast and publish (started with --open)",
    `  Logs          ${shown(outputs.access_log_file)}  ${shown(outputs.lambda_log_file)}`,
    options.writeOutputs === false ? "" : `  Outputs       ${shown(outputsFile(settings))}`,
  ]
    .filter(Boolean)
    .join("\n");
}

function stackHandle(
  outputs: LocalStackOutputs,
  gateway: LocalGateway,
  runtime: LambdaRuntime,
  emulator: Emulator,
  stop: () => Promise<void>,
): LocalStack {
  return {
    outputs,
    gateway: {
      connectionCount: () => gateway.gateway.connectionCount(),
      sendToAll: (data) => gateway.gateway.sendToAll(data),
      setManagementDelayMs: (ms) => {
        gateway.options.managementDelayMs = ms;
      },
      setManagementRateLimit: (perSecond) => {
        gateway.options.managementRateLimit = perSecond;
      },
    },
    lambda: {
      stats: async () => runtime.stats(),
      pids: () => runtime.pids(),
      updateEnvironment: (variables) => runtime.updateEnvironment(variables),
    },
    emulator: {
      setStoreDown: (down) => emulator.setStoreDown(down),
      setStoreDelayMs: (ms) => emulator.setStoreDelayMs(ms),
    },
    stop,
  };
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
  await Promise.all([parts.logs?.access.close(), parts.logs?.lambda.close()]);
  await parts.lock?.release();
  if (announce) settings.say("fanout local stack stopped");
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

/** The environment Lambda gives every Node.js function, with local values; nothing is inherited from this shell. */
function lambdaBaseEnv(functionName: string, taskRoot: string, runtimeDir: string): Record<string, string> {
  const day = new Date().toISOString().slice(0, 10).replaceAll("-", "/");
  return {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    LANG: "en_US.UTF-8",
    TZ: ":UTC",
    // As deployed: readable stack traces from the minified bundle.
    NODE_OPTIONS: "--enable-source-maps",
    LAMBDA_TASK_ROOT: taskRoot,
    LAMBDA_RUNTIME_DIR: runtimeDir,
    _HANDLER: LAMBDA_HANDLER,
    AWS_EXECUTION_ENV: `AWS_Lambda_${LAMBDA_RUNTIME}`,
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(LAMBDA_MEMORY_MB),
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: `${day}/[$LATEST]local`,
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    // Lambda has no ~/.aws: the user's profiles (regions, endpoints, credentials) must not leak into the function.
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
  };
}

/** Compiles the execution environment script to plain JavaScript, so the function runs under bare `node`. */
async function buildWorker(outfile: string): Promise<string> {
  await build({
    entryPoints: [join(dirname(fileURLToPath(import.meta.url)), "lambda", "worker.ts")],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: LAMBDA_NODE_TARGET,
    logLevel: "silent",
  });
  return outfile;
}
