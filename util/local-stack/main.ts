/**
 * `npm start`: runs the whole service on 127.0.0.1 until Ctrl-C / SIGTERM. A thin entry: options in, stack up,
 * signals wired; everything else is in ./index.ts.
 */

import { isIP } from "node:net";
import { parseArgs } from "node:util";
import { type LocalStackOptions, PortInUseError, StateDirInUseError, startLocalStack } from "./index.js";
import { escapeControl } from "./logs/format.js";

const HELP = `Usage: npm start -- [options]

Runs fanout offline on 127.0.0.1: a WebSocket gateway that behaves like API Gateway, an S3/SNS emulator (fauxqs)
and the Lambda bundle that is deployed, in child processes. Writes .local/outputs.json when ready and logs to
.local/logs/access.log and .local/logs/lambda.log (one JSON object a line, also shown here). Ctrl-C stops it.

Options:
  --host ADDRESS             address to bind (default 127.0.0.1); a loopback address unless --allow-remote
  --allow-remote             allow --host to be a non-loopback address: anyone who can reach it can read the
                             logs' connection ids, and with --open connect and publish too
  --open                     anonymous mode: no token needed, every client may broadcast and publish (default:
                             tokens required, as deployed; util/token --local mints one, the CLIs do it for you)
  --gateway-port PORT        WebSocket + @connections port (default 4510; 0 = any free port)
  --emulator-port PORT       S3/SNS endpoint port (default 4566; 0 = any free port)
  --stage NAME               API stage, the URL path (default local)
  --state-dir DIR            where outputs.json, logs/ and the built bundle go (default .local)
  --concurrency N            Lambda execution environments at most (default 4); past them an invocation waits for
                             a free one, and the wait does not count towards the 29 s integration timeout
  --throttle                 past --concurrency busy environments, throttle like Lambda: a message or connect
                             fails at once (500, Lambda.TooManyRequestsException); SNS events still wait
  --timeout-ms MS            Lambda function timeout (default 30000; a shard has the worker's 300 s)
  --idle-timeout-ms MS       close connections idle this long (default 600000, AWS's 10 minutes)
  --max-connection-ms MS     close connections after this long (default 7200000, AWS's 2 hours)
  --management-delay-ms MS   delay added to every @connections call (default 0)
  --management-rate-limit N  @connections calls a second before 429 LimitExceededException, bursts of N/2 as
                             API Gateway's account throttle (default 0: none)
  --max-buffered-bytes N     bytes waiting for one slow client before it is closed with 1008 (default 1048576)
  --env KEY=VALUE            set an environment variable of the function (repeatable)
  -h, --help                 show this help
`;

function usageError(message: string): never {
  process.stderr.write(`npm start: ${escapeControl(message)}\nRun 'npm start -- --help' for the options.\n`);
  process.exit(2);
}

/** The flags as given; a malformed command line ends in a usage error. */
function parseFlags(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        host: { type: "string" },
        open: { type: "boolean" },
        "gateway-port": { type: "string" },
        "emulator-port": { type: "string" },
        stage: { type: "string" },
        "state-dir": { type: "string" },
        concurrency: { type: "string" },
        "timeout-ms": { type: "string" },
        "idle-timeout-ms": { type: "string" },
        "max-connection-ms": { type: "string" },
        "management-delay-ms": { type: "string" },
        "management-rate-limit": { type: "string" },
        "max-buffered-bytes": { type: "string" },
        throttle: { type: "boolean", default: false },
        "allow-remote": { type: "boolean", default: false },
        env: { type: "string", multiple: true },
        help: { type: "boolean", short: "h", default: false },
      },
    }).values;
  } catch (error) {
    return usageError((error as Error).message);
  }
}

function parseOptions(argv: string[]): LocalStackOptions {
  const values = parseFlags(argv);
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const int = (name: keyof typeof values, min: number, max: number): number | undefined => {
    const text = values[name];
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n < min || n > max)
      usageError(`--${name} must be an integer from ${min} to ${max}, got "${text}"`);
    return n;
  };
  const lambdaEnv: Record<string, string> = {};
  for (const pair of values.env ?? []) {
    const eq = pair.indexOf("=");
    if (eq < 1) usageError(`--env expects KEY=VALUE, got "${pair}"`);
    lambdaEnv[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const stage = values.stage;
  if (stage !== undefined && !/^[A-Za-z0-9_-]{1,128}$/.test(stage)) {
    usageError(`--stage must be letters, digits, '-' or '_', got "${stage}"`);
  }
  return {
    host: checkHost(values.host, values["allow-remote"] === true),
    gatewayPort: int("gateway-port", 0, 65535),
    emulatorPort: int("emulator-port", 0, 65535),
    stage,
    stateDir: values["state-dir"],
    lambdaConcurrency: int("concurrency", 1, 64),
    lambdaTimeoutMs: int("timeout-ms", 1, 900_000),
    idleTimeoutMs: int("idle-timeout-ms", 1, 2 ** 31 - 1),
    maxConnectionMs: int("max-connection-ms", 1, 2 ** 31 - 1),
    managementDelayMs: int("management-delay-ms", 0, 60_000),
    managementRateLimit: int("management-rate-limit", 0, 1_000_000),
    maxBufferedBytes: int("max-buffered-bytes", 1024, 2 ** 31 - 1),
    lambdaThrottle: values.throttle === true,
    authMode: values.open === true ? "open" : "token",
    lambdaEnv,
  };
}

/**
 * The address to bind: loopback unless the user says otherwise. The stack has no authentication, so binding every
 * interface (an empty host, 0.0.0.0) or a LAN address exposes it to the network.
 */
function checkHost(host: string | undefined, allowRemote: boolean): string | undefined {
  if (host === undefined) return undefined;
  if (host.trim() === "")
    usageError("--host must not be empty (it would bind every interface); omit it for 127.0.0.1");
  if (!allowRemote && !isLoopback(host)) {
    usageError(
      `--host ${host} is not a loopback address: add --allow-remote to expose the stack to the network`,
    );
  }
  return host;
}

function isLoopback(host: string): boolean {
  if (host === "localhost" || host === "::1" || host === "[::1]") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return /^::ffff:127\./i.test(host);
}

const stack = await startLocalStack(parseOptions(process.argv.slice(2))).catch((error: unknown) => {
  // Expected failures get one line; anything else keeps its stack for a bug report.
  const message =
    error instanceof PortInUseError
      ? `${error.message}: stop it, or pass --${error.what}-port with a free port (0 picks one)`
      : error instanceof StateDirInUseError
        ? `${error.message}: stop it, or pass --state-dir with another folder`
        : error instanceof Error
          ? error.stack
          : String(error);
  process.stderr.write(`npm start: ${escapeControl(message ?? "", true)}\n`);
  process.exit(1);
});
console.log("Ctrl-C to stop.");

let signals = 0;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (++signals > 1) process.exit(1);
    console.log(`\n${signal}: closing clients (1001) and stopping...`);
    stack.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`npm start: stop failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  });
}
