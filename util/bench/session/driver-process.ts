/**
 * A baseline driver process: runs one of the baseline algorithms (baselines.ts) on command, in a process of its
 * own so its CPU time and peak memory are its own, as a Lambda's would be. Started by main.ts with `fork`.
 */
import { writeFile } from "node:fs/promises";
import { pathToFileURL } from "node:url";
import { PostToConnectionCommand } from "@aws-sdk/client-apigatewaymanagementapi";
import { S3Client } from "@aws-sdk/client-s3";
import { LAMBDA_ENV } from "../../../src/contract/index.js";
import { listConnectionIdPages } from "../../lib/s3-keys.js";
import { type CpuProfile, startCpuProfile } from "../cpu-profile.js";
import { type SenderCounters, wallClockMs } from "../stats.js";
import {
  defaultManagementClient,
  httpCeilingAgent,
  httpCeilingFanout,
  peerFanout,
  type SendCount,
} from "./baselines.js";
import { shardEvent, snsEvent } from "./events.js";
import type { DriverAlgorithm, DriverTarget, FromDriver, HandlerOptions, ToDriver } from "./ipc.js";

const send = (message: FromDriver) => process.send?.(message);

function counters(): SenderCounters {
  const cpu = process.cpuUsage();
  return {
    cpuUserMicros: cpu.user,
    cpuSystemMicros: cpu.system,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
  };
}

let run: ((payload: Uint8Array) => Promise<SendCount>) | undefined;

/**
 * Makes each client resolve its endpoint, credentials and signing key and open a socket before the first timed
 * run, as the Lambda's clients have after the benchmark's warm-up pings. The send goes to an id that does not
 * exist: the gateway answers 410, which is all the warm-up needs.
 */
async function warmUp(s3: S3Client, send: () => Promise<unknown>, target: DriverTarget): Promise<void> {
  await listConnectionIdPages(s3, target.connection_bucket, target.connection_prefix).next();
  await send().catch(() => undefined);
}

/** A queue URL the inline events never reach: an SNS event of at most the inline maximum is sent inline. */
const UNUSED_SHARD_QUEUE = "https://sqs.us-east-1.amazonaws.com/123456789012/fanout-bench-never-used";

/**
 * Ours, outside the local stack: the deployed bundle's handler (built by the caller as `npm run build` builds it,
 * with every source map kept for the profiler), configured as the local stack configures the function, given an SNS event
 * (the dispatch with a shard queue, as deployed) or a shard job over every bucket (the shard worker). The warm-up
 * runs once, as the benchmark's pings warm the stack's Lambda.
 */
async function handlerFanout(
  target: DriverTarget,
  options: HandlerOptions,
): Promise<(data: Uint8Array) => Promise<SendCount>> {
  Object.assign(process.env, {
    [LAMBDA_ENV.connectionBucket]: target.connection_bucket,
    [LAMBDA_ENV.connectionPrefix]: target.connection_prefix,
    [LAMBDA_ENV.managementEndpoint]: target.management_endpoint,
    [LAMBDA_ENV.s3ForcePathStyle]: "true",
    [LAMBDA_ENV.shardQueueUrl]: UNUSED_SHARD_QUEUE,
    // As the benchmark's local stack: open mode (an SNS fan-out reads no token anyway).
    [LAMBDA_ENV.authMode]: "open",
    AWS_ENDPOINT_URL_S3: target.s3_endpoint,
    AWS_REGION: target.region,
    AWS_ACCESS_KEY_ID: "bench",
    AWS_SECRET_ACCESS_KEY: "bench",
    ...options.env,
  });
  const { handler } = (await import(pathToFileURL(options.entryFile).href)) as {
    handler: (event: unknown, context: unknown) => Promise<unknown>;
  };
  let sequence = 0;
  return async (data) => {
    sequence += 1;
    const context = { awsRequestId: `bench-${sequence}` };
    const event =
      options.event === "sns"
        ? snsEvent(data, sequence)
        : shardEvent({
            data,
            endpoint: target.management_endpoint,
            dispatchId: `bench-${sequence}`,
            messageId: `bench-shard-${sequence}`,
            region: target.region,
          });
    const result = await handler(event, context);
    const failures = (result as { batchItemFailures?: unknown[] } | undefined)?.batchItemFailures ?? [];
    return { sent: 0, failed: failures.length };
  };
}

/** Stops the CPU profiler of this process, started on request (the runs only, not the start-up). */
let stopProfiler: (() => Promise<CpuProfile>) | undefined;

async function startProfile(intervalMicros: number): Promise<void> {
  stopProfiler = await startCpuProfile(intervalMicros);
}

async function stopProfile(file: string): Promise<void> {
  if (!stopProfiler) throw new Error("profile-stop before profile-start");
  const profile = await stopProfiler();
  stopProfiler = undefined;
  await writeFile(file, JSON.stringify(profile));
}

async function init(
  algorithm: DriverAlgorithm,
  target: DriverTarget,
  handler?: HandlerOptions,
): Promise<void> {
  const s3 = new S3Client({
    endpoint: target.s3_endpoint,
    region: target.region,
    forcePathStyle: true,
    credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
  });
  if (algorithm === "handler") {
    if (handler === undefined) throw new Error("the handler driver needs its options (the bundle to run)");
    run = await handlerFanout(target, handler);
    await run(new TextEncoder().encode("{}"));
    return;
  }
  const api = defaultManagementClient(target);
  const agent = httpCeilingAgent();
  run =
    algorithm === "http-ceiling"
      ? (data) => httpCeilingFanout(s3, agent, target, data)
      : (data) => peerFanout(algorithm, s3, api, target, data);
  const probe = new TextEncoder().encode("{}");
  await warmUp(
    s3,
    algorithm === "http-ceiling"
      ? () => httpCeilingFanout(s3, agent, { ...target, connection_prefix: "warm-up-nothing-here" }, probe)
      : () => api.send(new PostToConnectionCommand({ ConnectionId: "warm-up", Data: probe })),
    target,
  );
}

process.on("message", (message: ToDriver) => {
  if (message.type === "init") {
    init(message.algorithm, message.target, message.handler).then(
      () => send({ type: "ready" }),
      (error: unknown) =>
        send({ type: "error", message: error instanceof Error ? error.message : String(error) }),
    );
  } else if (message.type === "run") {
    const fanout = run;
    if (!fanout) {
      send({ type: "error", message: "run before init" });
      return;
    }
    const data = new TextEncoder().encode(message.payload);
    const before = counters();
    const t0 = wallClockMs();
    fanout(data).then(
      (count) => send({ type: "done", runId: message.runId, t0, ...count, before, after: counters() }),
      (error: unknown) =>
        send({ type: "error", message: error instanceof Error ? error.message : String(error) }),
    );
  } else if (message.type === "profile-start" || message.type === "profile-stop") {
    const file = message.type === "profile-stop" ? message.file : "";
    (message.type === "profile-start" ? startProfile(message.intervalMicros) : stopProfile(file)).then(
      () => send(message.type === "profile-start" ? { type: "profiling" } : { type: "profiled", file }),
      (error: unknown) =>
        send({ type: "error", message: error instanceof Error ? error.message : String(error) }),
    );
  } else {
    process.exit(0);
  }
});
process.on("disconnect", () => process.exit(0));
