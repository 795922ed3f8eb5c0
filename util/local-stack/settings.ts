import { dirname, join, resolve } from "node:path";
import {
  type AUTH_MODES,
  DEFAULT_FANOUT_WORKER_TIMEOUT_SECONDS,
  DEFAULT_LAMBDA_MEMORY_MB,
  IDLE_TIMEOUT_MS,
  INTEGRATION_TIMEOUT_MS,
  LOCAL_OUTPUTS_PATH,
  MAX_CONNECTION_MS,
  shardVisibilityTimeoutSeconds,
} from "../../src/contract/index.js";
import { repoRoot } from "../lib/repo.js";
import { DEFAULT_MAX_BUFFERED_BYTES } from "./gateway/options.js";
import { escapeControl } from "./logs/format.js";

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
   * How long a shard job stays hidden after the worker received it, so how late it comes back when the worker died
   * with it; default as deployed (the worker's 300 s timeout and 30 s). Fault tests shorten it.
   */
  shardVisibilityTimeoutSeconds?: number;
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

/** The region the local stack pretends to be in. */
export const REGION = "us-east-1";

/** Every setting of one local stack: the options with their defaults applied, and the names of its parts. */
export interface Settings extends Required<Omit<LocalStackOptions, "log">> {
  buildDir: string;
  functionName: string;
  /** The function's memory, as deployed: it sizes the V8 heap of every execution environment. */
  lambdaMemoryMb: number;
  bucket: string;
  topicName: string;
  /** The queue that stands in for SNS's delivery to the function (fauxqs delivers to queues only). */
  deliveryQueueName: string;
  /** The fan-out shard queue; its dead-letter queue is `<name>-dlq`. */
  shardQueueName: string;
  /** Where the terminal lines go (nowhere with `log: false`). */
  say: (line: string) => void;
  /** No terminal output at all (`log: false`): the bundle build is quiet too. */
  quiet: boolean;
}

/**
 * Where the stack's lines go, their control characters escaped on the way (`escapeControl`): whatever a client
 * sends reaches them, and a terminal must only ever print it.
 */
function terminal(sink: (line: string) => void): (line: string) => void {
  return (line) => sink(escapeControl(line, true));
}

/** The options with their defaults, and the parts' names (`fanout-<stage>-…`, as the deployment names them). */
export function resolveSettings(options: LocalStackOptions): Settings {
  const stage = options.stage ?? "local";
  // The default folder is where the `util/` CLIs look with `--local`.
  const stateDir = resolve(options.stateDir ?? join(repoRoot, dirname(LOCAL_OUTPUTS_PATH)));
  return {
    host: options.host ?? "127.0.0.1",
    stage,
    stateDir,
    buildDir: join(stateDir, "build"),
    functionName: `fanout-${stage}`,
    lambdaMemoryMb: DEFAULT_LAMBDA_MEMORY_MB,
    bucket: `fanout-${stage}-connections`,
    topicName: `fanout-${stage}-input`,
    deliveryQueueName: `fanout-${stage}-lambda-delivery`,
    shardQueueName: `fanout-${stage}-shards`,
    lambdaConcurrency: options.lambdaConcurrency ?? 4,
    lambdaTimeoutMs: options.lambdaTimeoutMs ?? 30_000,
    lambdaThrottle: options.lambdaThrottle ?? false,
    lambdaEnv: options.lambdaEnv ?? {},
    authMode: options.authMode ?? "token",
    gatewayPort: options.gatewayPort ?? 4510,
    emulatorPort: options.emulatorPort ?? 4566,
    idleTimeoutMs: options.idleTimeoutMs ?? IDLE_TIMEOUT_MS,
    maxConnectionMs: options.maxConnectionMs ?? MAX_CONNECTION_MS,
    integrationTimeoutMs: options.integrationTimeoutMs ?? INTEGRATION_TIMEOUT_MS,
    managementDelayMs: options.managementDelayMs ?? 0,
    managementRateLimit: options.managementRateLimit ?? 0,
    maxBufferedBytes: options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES,
    shardVisibilityTimeoutSeconds:
      options.shardVisibilityTimeoutSeconds ??
      shardVisibilityTimeoutSeconds(DEFAULT_FANOUT_WORKER_TIMEOUT_SECONDS),
    writeOutputs: options.writeOutputs !== false,
    say:
      options.log === false
        ? () => undefined
        : terminal(options.log ?? ((line: string) => console.log(line))),
    quiet: options.log === false,
  };
}
