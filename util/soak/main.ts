/**
 * `npm run soak`: M clients churning while messages are published through SNS and as broadcast requests for T
 * minutes, against a local stack this process starts (free ports, a temporary state folder) and always stops.
 * Checks that the stayers got every message exactly once, that no connection key is left in S3 once every client
 * has closed, and reports the peak memory of the gateway and of the Lambda workers.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { describeMachine, openFilesLimit } from "../bench/report/machine.js";
import { CONNECT_CONCURRENCY } from "../bench/session/clients.js";
import { wallClockMs } from "../bench/stats.js";
import { CliError, runCli } from "../lib/cli.js";
import { keyPages } from "../lib/s3-keys.js";
import { type LocalStack, startLocalStack } from "../local-stack/index.js";
import { account, type Published, verdict } from "./account.js";
import { HELP, parseSoakArgs, type SoakOptions } from "./args.js";
import { SoakClients } from "./clients.js";
import { soakMessage } from "./ipc.js";
import { MemorySampler } from "./memory.js";
import { type RecoveryFigures, recoveryFailures, soakRecovery } from "./recovery.js";
import { renderReport, type SoakResults } from "./report.js";

/** After the last publish, how long the stayers may take to receive everything before it counts as missed. */
const DRAIN_MS = 60_000;
/** Time left for duplicates to show up once the stayers have everything. */
const SETTLE_MS = 1_000;
/** How long the gateway may take to see every client close and run its `$disconnect`. */
const DISCONNECT_MS = 60_000;
const CONNECTIONS_KEY_PAGES = 100;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Prints a progress line on stderr, stamped with the time of day (stdout carries the table). */
const progress = (line: string) =>
  process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

const mb = (bytes: number | null) => (bytes === null ? "-" : `${(bytes / 2 ** 20).toFixed(0)} MB`);

/** Counts the connection keys in the stack's bucket (the connection store), at most 100 pages of 1,000. */
async function countKeys(s3: S3Client, stack: LocalStack): Promise<number> {
  let count = 0;
  let pages = 0;
  for await (const keys of keyPages(s3, stack.outputs.connection_bucket, stack.outputs.connection_prefix)) {
    count += keys.length;
    pages += 1;
    if (pages === CONNECTIONS_KEY_PAGES) break;
  }
  return count;
}

/** Polls `done` every 200 ms until it is true or `ms` have passed; resolves with its last answer. */
async function waitFor(done: () => Promise<boolean> | boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await done()) return true;
    if (Date.now() > deadline) return false;
    await sleep(200);
  }
}

/** The run itself, given a started stack and client processes; `cleanup` is the caller's. */
async function soak(options: SoakOptions, stack: LocalStack, clients: SoakClients, published: Published[]) {
  const o = stack.outputs;
  const credentials = { accessKeyId: "soak", secretAccessKey: "soak" };
  const sns = new SNSClient({ endpoint: o.sns_endpoint, region: o.region, credentials, maxAttempts: 1 });
  const s3 = new S3Client({ endpoint: o.s3_endpoint, region: o.region, credentials, forcePathStyle: true });
  const sampler = new MemorySampler(1_000, options.seconds > 120 ? 10 : 2);
  try {
    const churners = options.clients - options.stayers;
    const messages = Math.max(1, Math.floor(options.seconds * options.ratePerSec));
    const nonce = randomBytes(6).toString("hex");
    progress(
      `connecting ${options.stayers} stayers and ${churners} churners from ${options.processes} client processes`,
    );
    const t = performance.now();
    const connected = await clients.connect(
      {
        url: o.ws_url,
        stayers: options.stayers,
        churners,
        churnPerSec: options.churnPerSec,
        concurrency: Math.max(1, Math.ceil(CONNECT_CONCURRENCY / options.processes)),
        maxMessages: messages,
        nonce,
        abruptEvery: options.abruptEvery,
      },
      120_000 + options.clients * 100,
    );
    const connectMs = performance.now() - t;
    progress(
      `connected ${options.stayers + connected.churners} clients in ${Math.round(connectMs)} ms` +
        (connected.failed > 0 ? ` (${connected.failed} churners failed to connect)` : ""),
    );
    sampler.markConnected();

    // Publish on a fixed schedule (message i at i / rate seconds), alternating SNS and broadcast requests.
    clients.churn();
    const start = performance.now();
    const publishes: Promise<void>[] = [];
    let lastProgress = start;
    const progressEvery = options.quick ? 5_000 : 30_000;
    for (let seq = 0; seq < messages; seq++) {
      const due = start + (seq / options.ratePerSec) * 1000;
      await sleep(Math.max(0, due - performance.now()));
      const kind = seq % 2 === 0 ? "sns" : "broadcast";
      const entry: Published = { seq, kind, t0: wallClockMs(), ok: kind === "broadcast" };
      published[seq] = entry;
      if (kind === "broadcast") clients.broadcast(seq);
      else {
        // Not awaited: a slow Publish must not hold the schedule up.
        publishes.push(
          sns
            .send(
              new PublishCommand({
                TopicArn: o.input_sns_topic_arn,
                Message: JSON.stringify(soakMessage(nonce, seq, "sns")),
              }),
            )
            .then(
              () => {
                entry.ok = true;
              },
              (error: unknown) => {
                entry.ok = false;
                progress(`SNS publish of message ${seq} failed: ${String(error)}`);
              },
            ),
        );
      }
      if (performance.now() - lastProgress >= progressEvery) {
        lastProgress = performance.now();
        const s = await clients.status();
        const elapsed = Math.round((lastProgress - start) / 1000);
        progress(
          `${elapsed}/${options.seconds} s: published ${seq + 1}, stayer receipts ${s.stayerReceipts}, ` +
            `open ${stack.gateway.connectionCount()} (${s.churnersOpen} churners), churn ${s.churnConnects} connects` +
            `${s.connectFailures ? ` (${s.connectFailures} failed)` : ""}, gateway ${mb(process.memoryUsage.rss())}, ` +
            `Lambda peak ${mb(sampler.lambdaPeak())}`,
        );
      }
    }
    await Promise.all(publishes);
    const publishedOk = () => published.filter((p) => p.ok).length;
    progress(`published ${publishedOk()} of ${messages}; waiting for the stayers to receive everything`);
    await clients.stopChurn(30_000);
    const owed = options.stayers * publishedOk();
    const drained = await waitFor(async () => (await clients.status()).stayerReceipts >= owed, DRAIN_MS);
    if (!drained) progress(`the stayers still miss deliveries after ${DRAIN_MS / 1000} s`);
    await sleep(SETTLE_MS);
    sampler.sample();
    sampler.markEnd();

    progress("closing every client");
    const final = await clients.close(60_000);
    const gone = await waitFor(() => stack.gateway.connectionCount() === 0, DISCONNECT_MS);
    if (!gone) progress(`the gateway still holds ${stack.gateway.connectionCount()} connections`);
    // $disconnect runs after the socket closes: wait until the Lambda has been idle for a second.
    let last = -1;
    await waitFor(async () => {
      const now = (await stack.lambda.stats()).invocations;
      const idle = now === last;
      last = now;
      if (!idle) await sleep(800);
      return idle;
    }, DISCONNECT_MS);
    // A `$disconnect` still in flight would show as a key: look again for a few seconds before counting it.
    let keysLeft = await countKeys(s3, stack);
    for (let tries = 0; keysLeft > 0 && tries < 10; tries++) {
      await sleep(500);
      keysLeft = await countKeys(s3, stack);
    }
    sampler.sample();
    const lambda = await stack.lambda.stats();
    const memory = sampler.result();
    const delivery = account(published, options.stayers, final.tallies);
    return {
      connectMs,
      status: final.status,
      delivery,
      keysLeft,
      memory,
      lambda: { invocations: lambda.invocations, reportedPeakRssBytes: lambda.maxRssBytes },
    };
  } finally {
    sampler.result();
    sns.destroy();
    s3.destroy();
  }
}

/** The recovery phase on the same stack (./recovery.ts), with an S3 client of its own. */
async function recoveryPhase(options: SoakOptions, stack: LocalStack): Promise<RecoveryFigures> {
  const o = stack.outputs;
  const credentials = { accessKeyId: "soak", secretAccessKey: "soak" };
  const s3 = new S3Client({ endpoint: o.s3_endpoint, region: o.region, credentials, forcePathStyle: true });
  try {
    return await soakRecovery(
      { outputs: o, s3 },
      {
        clients: options.recoveryClients,
        ratePerSec: options.recoveryRate,
        seconds: options.recoverySeconds,
      },
      progress,
    );
  } finally {
    s3.destroy();
  }
}

async function main(argv: string[]): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const options = parseSoakArgs(argv);
  if (options === null) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const limit = openFilesLimit();
  if (limit !== null && options.clients + 2_000 > limit) {
    throw new CliError(
      `${options.clients} clients need about ${options.clients + 2_000} open files in one process, the limit is ` +
        `${limit}; raise it (ulimit -n) or lower --clients`,
    );
  }
  const startedAt = new Date().toISOString();
  const stateDir = mkdtempSync(join(tmpdir(), "fanout-soak-"));
  let stack: LocalStack | undefined;
  let clients: SoakClients | undefined;
  let cleaning: Promise<void> | undefined;
  // Every exit path stops the stack and the client processes and removes the state folder, once.
  const cleanup = () => {
    cleaning ??= (async () => {
      await stack?.stop().catch(() => undefined);
      await clients?.stop().catch(() => undefined);
      rmSync(stateDir, { recursive: true, force: true });
    })();
    return cleaning;
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      progress(`${signal}: stopping the stack and the clients`);
      cleanup().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
    });
  }
  process.once("exit", () => {
    clients?.kill();
    rmSync(stateDir, { recursive: true, force: true });
  });
  // The whole run is bounded: connect, publish, drain, disconnect, each with its own bound, and this over all.
  const boundMs =
    10 * 60_000 +
    options.clients * 200 +
    options.seconds * 1000 * 2 +
    (options.recoveryClients > 0 ? 4 * 60_000 + options.recoverySeconds * 1000 * 3 : 0);
  const watchdog = setTimeout(() => {
    progress(`the run exceeded its bound of ${Math.round(boundMs / 1000)} s: stopping`);
    cleanup().finally(() => process.exit(1));
  }, boundMs);
  watchdog.unref();
  const published: Published[] = [];
  let run: Awaited<ReturnType<typeof soak>>;
  let recovery: RecoveryFigures | null = null;
  try {
    progress(`starting the local stack in ${stateDir}, in open mode (no tokens: the soak measures delivery)`);
    stack = await startLocalStack({
      gatewayPort: 0,
      emulatorPort: 0,
      stateDir,
      writeOutputs: false,
      log: false,
      // Anonymous clients with every right, stated above: tokens would add an authorizer run per (re)connect of the
      // churners, which the soak does not set out to measure (test/e2e/auth.test.ts covers tokens).
      authMode: "open",
      lambdaEnv: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    });
    clients = new SoakClients(options.processes, (sent) => {
      const entry = published[sent.seq];
      // t0 stays the instant before the request went to the client process: the earlier, the wider the window
      // in which a churner may receive the message, so "may receive" never undercounts.
      if (entry) entry.ok = sent.ok;
    });
    run = await soak(options, stack, clients, published);
    if (options.recoveryClients > 0) recovery = await recoveryPhase(options, stack);
  } finally {
    await cleanup();
    clearTimeout(watchdog);
  }
  const results: SoakResults = {
    command: `npm run soak${argv.length > 0 ? ` -- ${argv.join(" ")}` : ""}`,
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: describeMachine(),
    options,
    connectMs: Math.round(run.connectMs),
    clients: run.status,
    delivery: run.delivery,
    keysLeft: run.keysLeft,
    memory: run.memory,
    lambda: run.lambda,
    recovery,
    failures: [
      ...verdict(run.delivery, run.keysLeft, run.status.stayersDropped),
      ...(recovery ? recoveryFailures(recovery) : []),
    ],
  };
  const outDir = resolve(options.outDir);
  mkdirSync(outDir, { recursive: true });
  const jsonFile = join(outDir, "results.json");
  writeFileSync(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(
    `\n${renderReport(results)}\n\nwrote ${relative(process.cwd(), jsonFile) || jsonFile}\n`,
  );
  if (results.failures.length > 0) throw new CliError(`FAILED: ${results.failures.join("; ")}`);
}

await runCli("soak", () => main(process.argv.slice(2)), "npm run soak -- --help");
// The verdict is out: do not wait for a child process or a kept-alive socket that is slow to let go.
process.exit();
