import { mkdir, rename, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import {
  DEFAULT_CONNECTION_PREFIX,
  IDLE_TIMEOUT_MS,
  INTEGRATION_TIMEOUT_MS,
  MAX_CONNECTION_MS,
} from "../../src/limits.js";
import { buildLambdaBundle, LAMBDA_HANDLER, type LambdaBundle } from "../build/lambda-bundle.js";
import { LOCAL_OUTPUTS_PATH, type LocalStackOutputs } from "../lib/outputs.js";
import { repoRoot } from "../lib/repo.js";
import { type Emulator, LOCAL_CREDENTIALS, startEmulator } from "./emulator.js";
import { type Gateway, type GatewayOptions, startGateway } from "./gateway.js";
import { LambdaRuntime, type LambdaStats, STOPPED } from "./lambda-runtime.js";
import { formatAccess, formatLambda, JsonLogFile } from "./logs.js";

export { PortInUseError } from "./listen.js";
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
  /** @connections calls per second before 429 LimitExceededException; default 0 (no limit). */
  managementRateLimit?: number;
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
  };
  lambda: {
    /** Completed invocations, CPU summed and peak RSS maxed over every execution environment so far. */
    stats(): Promise<LambdaStats>;
  };
  /** Closes every client with 1001 and stops everything; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * The deployed API's routes (deployment/constructs/websocket-api.ts; an e2e test keeps the two equal without the
 * local stack loading the CDK code).
 */
export const API_ROUTE_KEYS: ReadonlySet<string> = new Set([
  "$connect",
  "$disconnect",
  "$default",
  "broadcast",
  "ping",
]);
const REGION = "us-east-1";
const LAMBDA_MEMORY_MB = 256;
/** SNS retries a failed asynchronous Lambda invocation twice (about 1 and 2 minutes later on AWS; sooner here). */
const SNS_RETRY_DELAYS_MS = [1000, 2000];

/**
 * Starts the whole service on `host`: the S3/SNS emulator, the Lambda runtime running the bundle that is deployed,
 * and the WebSocket gateway in front of it; writes `<stateDir>/outputs.json` when ready.
 * @param options - see {@link LocalStackOptions}
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const started = performance.now();
  const host = options.host ?? "127.0.0.1";
  const stage = options.stage ?? "local";
  // The default folder is where the `util/` CLIs look with `--local`.
  const stateDir = resolve(options.stateDir ?? join(repoRoot, dirname(LOCAL_OUTPUTS_PATH)));
  const say =
    options.log === false ? () => undefined : (options.log ?? ((line: string) => console.log(line)));
  const lambdaTimeoutMs = options.lambdaTimeoutMs ?? 30_000;
  const lambdaConcurrency = options.lambdaConcurrency ?? 4;
  const functionName = `fanout-${stage}`;
  const bucket = `fanout-${stage}-connections`;
  const buildDir = join(stateDir, "build");
  await mkdir(join(stateDir, "logs"), { recursive: true });

  // The bundle is built once the gateway port is ours (so a second stack on the same port fails before it rewrites
  // the bundle the first one loads from), while the emulator starts.
  let built: Promise<[LambdaBundle, string]> | undefined;

  const accessLog = new JsonLogFile(join(stateDir, "logs", "access.log"));
  const lambdaLog = new JsonLogFile(join(stateDir, "logs", "lambda.log"));
  const logLambda = (record: Record<string, unknown>) => {
    lambdaLog.write(record);
    say(formatLambda(record));
  };
  let gateway: Gateway | undefined;
  let emulator: Emulator | undefined;
  let runtime: LambdaRuntime | undefined;
  // Clients first (closed with 1001), then the emulator's delivery, then the function, then the log files.
  const stopAll = async () => {
    await gateway?.stop();
    await emulator?.stop();
    await runtime?.stop();
    await Promise.all([accessLog.close(), lambdaLog.close()]);
  };

  // The runtime needs both ports in its environment; events that arrive before it exists wait for it.
  let runtimeReady: (runtime: LambdaRuntime) => void = () => undefined;
  const runtimePromise = new Promise<LambdaRuntime>((r) => {
    runtimeReady = r;
  });
  try {
    const gatewayOptions: GatewayOptions = {
      host,
      port: options.gatewayPort ?? 4510,
      stage,
      apiId: "local00api",
      routes: API_ROUTE_KEYS,
      idleTimeoutMs: options.idleTimeoutMs ?? IDLE_TIMEOUT_MS,
      maxConnectionMs: options.maxConnectionMs ?? MAX_CONNECTION_MS,
      integrationTimeoutMs: INTEGRATION_TIMEOUT_MS,
      managementDelayMs: options.managementDelayMs ?? 0,
      managementRateLimit: options.managementRateLimit ?? 0,
      invoke: async (event) => (await runtimePromise).invoke(event),
      accessLog: (record) => {
        accessLog.write(record);
        say(formatAccess(record));
      },
    };
    const gw = await startGateway(gatewayOptions);
    gateway = gw;
    built = Promise.all([
      buildLambdaBundle({ outDir: buildDir, quiet: options.log === false }),
      buildWorker(join(buildDir, "runtime", "worker.mjs")),
    ]);
    built.catch(() => undefined);
    const managementEndpoint = `http://${host}:${gw.port}/${stage}`;

    emulator = await startEmulator({
      host,
      port: options.emulatorPort ?? 4566,
      region: REGION,
      bucket,
      topicName: `fanout-${stage}-input`,
      functionName,
      deliveryQueueName: `fanout-${stage}-lambda-delivery`,
      deliver: async (event) => {
        const runtime = await runtimePromise;
        for (const delay of [0, ...SNS_RETRY_DELAYS_MS]) {
          if (delay > 0) await sleep(delay);
          const outcome = await runtime.invoke(event);
          if (outcome.status === "ok") return;
          if (outcome.status === "error" && outcome.error.errorType === STOPPED) return;
        }
      },
      warn: (message) =>
        logLambda({ timestamp: new Date().toISOString(), level: "WARN", message: `local stack: ${message}` }),
    });

    const [bundle, workerFile] = await built;
    const taskRoot = dirname(bundle.entryFile);
    const rt = new LambdaRuntime({
      taskRoot,
      workerFile,
      functionName,
      functionArn: emulator.functionArn,
      concurrency: lambdaConcurrency,
      timeoutMs: lambdaTimeoutMs,
      env: {
        ...lambdaBaseEnv(functionName, taskRoot, dirname(workerFile)),
        CONNECTION_BUCKET: bucket,
        CONNECTION_PREFIX: DEFAULT_CONNECTION_PREFIX,
        MANAGEMENT_ENDPOINT: managementEndpoint,
        S3_FORCE_PATH_STYLE: "true",
        AWS_ENDPOINT_URL_S3: emulator.endpoint,
        FANOUT_CONCURRENCY: "100",
        FANOUT_SEND_TIMEOUT_MS: "3000",
        POWERTOOLS_LOG_LEVEL: "INFO",
        ...options.lambdaEnv,
      },
      log: logLambda,
    });
    runtime = rt;
    runtimeReady(rt);

    const outputs: LocalStackOutputs = {
      ws_url: `ws://${host}:${gw.port}/${stage}`,
      lambda_function_name: functionName,
      input_sns_topic_arn: emulator.topicArn,
      lambda_log_group: lambdaLog.path,
      api_gw_log_group: accessLog.path,
      management_endpoint: managementEndpoint,
      connection_bucket: bucket,
      sns_endpoint: emulator.endpoint,
      s3_endpoint: emulator.endpoint,
      region: REGION,
      connection_prefix: DEFAULT_CONNECTION_PREFIX,
      lambda_log_file: lambdaLog.path,
      access_log_file: accessLog.path,
    };
    const outputsFile = join(stateDir, basename(LOCAL_OUTPUTS_PATH));
    if (options.writeOutputs !== false) {
      await writeFile(`${outputsFile}.tmp`, `${JSON.stringify(outputs, null, 2)}\n`);
      await rename(`${outputsFile}.tmp`, outputsFile);
    }

    const shown = (path: string) => (path.startsWith(repoRoot) ? relative(process.cwd(), path) || "." : path);
    say(
      [
        `fanout local stack ready in ${((performance.now() - started) / 1000).toFixed(1)} s (stage "${stage}")`,
        `  WebSocket     ${outputs.ws_url}`,
        `  @connections  ${managementEndpoint}/@connections/{connectionId}`,
        `  S3 + SNS      ${emulator.endpoint}  bucket ${bucket}, topic ${emulator.topicArn}`,
        `  Lambda        ${functionName}: ${(bundle.bundleBytes / 1024).toFixed(0)} KiB bundle, ` +
          `up to ${lambdaConcurrency} environments, timeout ${lambdaTimeoutMs / 1000} s`,
        `  Logs          ${shown(accessLog.path)}  ${shown(lambdaLog.path)}`,
        options.writeOutputs === false ? "" : `  Outputs       ${shown(outputsFile)}`,
      ]
        .filter(Boolean)
        .join("\n"),
    );

    let stopped: Promise<void> | undefined;
    return {
      outputs,
      gateway: {
        connectionCount: () => gw.connectionCount(),
        sendToAll: (data) => gw.sendToAll(data),
        setManagementDelayMs: (ms) => {
          gatewayOptions.managementDelayMs = ms;
        },
      },
      lambda: { stats: async () => rt.stats() },
      stop: () => {
        stopped ??= stopAll();
        return stopped;
      },
    };
  } catch (error) {
    await stopAll();
    // Let a build in progress finish writing before the caller (a test, say) removes the state folder.
    await built?.catch(() => undefined);
    throw error;
  }
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
    AWS_EXECUTION_ENV: "AWS_Lambda_nodejs22.x",
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
    // The SDK warns on Node < 22 once per process; Lambda runs nodejs22.x, so the warning would be local noise.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
  };
}

/** Compiles the execution environment script to plain JavaScript, so the function runs under bare `node`. */
async function buildWorker(outfile: string): Promise<string> {
  await build({
    entryPoints: [join(dirname(fileURLToPath(import.meta.url)), "lambda-worker.ts")],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "silent",
  });
  return outfile;
}
