/**
 * One Lambda execution environment: runs in a child process, loads the bundle the way the Node.js runtime does
 * (`$LAMBDA_TASK_ROOT` + `_HANDLER`), and handles one invocation at a time on request of the parent (IPC).
 * Module state survives between invocations, as in a warm Lambda. Built with esbuild at start-up and run with plain
 * `node`, so nothing of tsx or the parent's environment leaks in.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { FunctionError, InvokeRequest, WorkerReply } from "./ipc.js";

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

function send(reply: WorkerReply): void {
  process.send?.(reply);
}

function usage(): WorkerReply["usage"] {
  const u = process.resourceUsage();
  // resourceUsage().maxRSS is in kilobytes.
  return { cpuUserMicros: u.userCPUTime, cpuSystemMicros: u.systemCPUTime, maxRssBytes: u.maxRSS * 1024 };
}

function describe(error: unknown): FunctionError {
  const err = error instanceof Error ? error : new Error(String(error));
  return {
    errorType: err.name,
    errorMessage: err.message,
    stackTrace: (err.stack ?? "").split("\n").slice(1),
  };
}

async function loadHandler(): Promise<Handler> {
  const [file = "index", name = "handler"] = (process.env._HANDLER ?? "index.handler").split(".");
  const mod = (await import(
    pathToFileURL(join(process.env.LAMBDA_TASK_ROOT ?? ".", `${file}.mjs`)).href
  )) as Record<string, unknown>;
  const handler = mod[name];
  if (typeof handler !== "function") throw new TypeError(`${file}.${name} is not a function`);
  return handler as Handler;
}

const initStart = performance.now();
const ready = loadHandler();
ready.then(
  () => send({ type: "ready", initDurationMs: performance.now() - initStart, usage: usage() }),
  (error: unknown) => {
    send({ type: "init-error", error: describe(error), usage: usage() });
    process.exitCode = 1;
    process.disconnect?.();
  },
);

// Without its runtime (the local stack ended, even by SIGKILL) an environment has nothing left to do.
process.on("disconnect", () => process.exit());

process.on("message", async (request: InvokeRequest) => {
  const handler = await ready;
  const context = {
    awsRequestId: request.requestId,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: request.invokedFunctionArn,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, request.deadlineMs - Date.now()),
  };
  process.env._X_AMZN_TRACE_ID = request.traceId;
  try {
    const result = await handler(request.event, context);
    send({ type: "result", id: request.id, result: result ?? null, usage: usage() });
  } catch (error) {
    send({ type: "error", id: request.id, error: describe(error), usage: usage() });
  }
});
