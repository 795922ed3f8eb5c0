/**
 * A baseline driver process: runs one of the baseline algorithms (baselines.ts) on command, in a process of its
 * own so its CPU time and peak memory are its own, as a Lambda's would be. Started by main.ts with `fork`.
 */
import { PostToConnectionCommand } from "@aws-sdk/client-apigatewaymanagementapi";
import { S3Client } from "@aws-sdk/client-s3";
import {
  awsSampleFanout,
  defaultManagementClient,
  httpCeilingAgent,
  httpCeilingFanout,
  listConnectionIdPages,
  type SendCount,
  seedFanout,
} from "./baselines.js";
import type { DriverAlgorithm, DriverTarget, FromDriver, ToDriver } from "./protocol.js";
import type { SenderCounters } from "./stats.js";

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
  await listConnectionIdPages(s3, target.bucket, target.prefix).next();
  await send().catch(() => undefined);
}

async function init(algorithm: DriverAlgorithm, target: DriverTarget): Promise<void> {
  const s3 = new S3Client({
    endpoint: target.s3Endpoint,
    region: target.region,
    forcePathStyle: true,
    credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
  });
  const api = defaultManagementClient(target);
  const agent = httpCeilingAgent();
  run =
    algorithm === "http-ceiling"
      ? (data) => httpCeilingFanout(s3, agent, target, data)
      : algorithm === "seed"
        ? (data) => seedFanout(s3, api, target, data)
        : (data) => awsSampleFanout(s3, api, target, data);
  const probe = new TextEncoder().encode("{}");
  await warmUp(
    s3,
    algorithm === "http-ceiling"
      ? () => httpCeilingFanout(s3, agent, { ...target, prefix: "warm-up-nothing-here" }, probe)
      : () => api.send(new PostToConnectionCommand({ ConnectionId: "warm-up", Data: probe })),
    target,
  );
}

process.on("message", (message: ToDriver) => {
  if (message.type === "init") {
    init(message.algorithm, message.target).then(
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
    const t0 = performance.timeOrigin + performance.now();
    fanout(data).then(
      (count) => send({ type: "done", runId: message.runId, t0, ...count, before, after: counters() }),
      (error: unknown) =>
        send({ type: "error", message: error instanceof Error ? error.message : String(error) }),
    );
  } else {
    process.exit(0);
  }
});
process.on("disconnect", () => process.exit(0));
