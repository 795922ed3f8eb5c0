/**
 * `npx tsx util/bench/profile.ts`: where the fan-out's CPU goes. Starts the local stack, connects N clients, and
 * runs the Lambda bundle's handler in a driver process in each configuration: inline (an SNS event, the dispatch
 * sends at once), a shard unpaced, and a shard paced as deployed. In each, after one unmeasured run, it measures
 * the CPU per 1,000 sends of the Lambda and of this process (the gateway and the emulator) with `process.cpuUsage`,
 * then runs as often again under the V8 profiler in both, splits the measured figures by kind of work in proportion
 * to the samples (`cpu-profile.ts`), and writes the profiles, which Chrome DevTools or speedscope open.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DEFAULT_FANOUT_INLINE_MAX, LAMBDA_ENV } from "../../src/contract/index.js";
import { buildLambdaBundle } from "../build/lambda-bundle.js";
import { parseCliArgs, runCli, UsageError } from "../lib/cli.js";
import { defaultProcesses, intFlag } from "./args.js";
import { type CpuProfile, selfTimes, sourceMapsOf, startCpuProfile, workTimes } from "./cpu-profile.js";
import { progress } from "./progress.js";
import { Driver } from "./session/drivers.js";
import type { HandlerOptions } from "./session/ipc.js";
import { Session } from "./session/session.js";
import { cpuMsBetween } from "./stats.js";

const HELP = `Usage: npx tsx util/bench/profile.ts [options]

Profiles the Lambda bundle's handler fanning out to N local clients, in three configurations: inline (an SNS
event), a shard unpaced, a shard paced. Prints CPU per 1,000 sends and where it went.

Options:
  -n, --n N          clients (default 1000; at most 1000 with the inline configuration)
  --configs LIST     inline, shard, paced, comma-separated (default all three)
  --rate R           sends a second of the paced shard (default 562, the deployed pace)
  --delay MS         injected delay per @connections call (default 0)
  --runs R           runs per configuration measured, and as many sampled, after one unmeasured (default 3)
  --concurrency C    FANOUT_CONCURRENCY of the handler (default: the handler's own)
  --interval US      sampling interval, microseconds (default 200)
  --out DIR          where the .cpuprofile files go (default .local/profile)
  -h, --help         this text`;

/** The configurations the profiler knows, as the handler driver runs them. */
const CONFIGS: Record<string, (rate: number) => Omit<HandlerOptions, "entryFile"> & { label: string }> = {
  inline: () => ({ label: "inline (an SNS event, sent by the dispatch)", event: "sns", env: {} }),
  shard: () => ({ label: "a shard, unpaced", event: "shard", env: { [LAMBDA_ENV.fanoutShardRate]: "0" } }),
  paced: (rate) => ({
    label: `a shard, paced at ${rate}/s`,
    event: "shard",
    env: { [LAMBDA_ENV.fanoutShardRate]: String(rate) },
  }),
};

/** What one configuration measured. */
interface Profiled {
  label: string;
  /** Lambda CPU per 1,000 sends, measured. */
  lambdaCpuPerThousand: number;
  /** This process's CPU per 1,000 sends: the gateway and the emulator. */
  stackCpuPerThousand: number;
  publishToLastMs: number[];
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseCliArgs({
    args: argv,
    options: {
      n: { type: "string", short: "n" },
      configs: { type: "string" },
      rate: { type: "string" },
      delay: { type: "string" },
      runs: { type: "string" },
      concurrency: { type: "string" },
      interval: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const n = intFlag("--n", values.n ?? "1000", 1);
  const runs = intFlag("--runs", values.runs ?? "3", 1);
  const delayMs = intFlag("--delay", values.delay ?? "0", 0);
  const rate = intFlag("--rate", values.rate ?? "562", 1);
  const interval = intFlag("--interval", values.interval ?? "200", 10);
  const names = (values.configs ?? "inline,shard,paced").split(",").map((c) => c.trim());
  for (const name of names) {
    if (!(name in CONFIGS))
      throw new UsageError(`unknown configuration '${name}'; choose from inline, shard, paced`);
  }
  if (names.includes("inline") && n > DEFAULT_FANOUT_INLINE_MAX)
    throw new UsageError(
      `an inline fan-out has at most ${DEFAULT_FANOUT_INLINE_MAX.toLocaleString("en-US")} recipients: lower -n or leave inline out`,
    );
  const concurrency: Record<string, string> =
    values.concurrency === undefined
      ? {}
      : { [LAMBDA_ENV.fanoutConcurrency]: String(intFlag("--concurrency", values.concurrency, 1)) };
  const outDir = resolve(values.out ?? ".local/profile");
  mkdirSync(outDir, { recursive: true });

  // Built once for every configuration's driver, every source map kept: they name the profile's frames.
  const bundleDir = mkdtempSync(join(tmpdir(), "fanout-profile-bundle-"));
  const results: Profiled[] = [];
  try {
    const bundle = await buildLambdaBundle({ outDir: bundleDir, quiet: true, fullSourceMaps: true });
    const session = await Session.open(n, { processes: defaultProcesses(n), drivers: [] });
    try {
      session.delayMs = delayMs;
      for (const name of names) {
        const config = (CONFIGS[name] as (typeof CONFIGS)[string])(rate);
        const driver = await Driver.start("handler", session.outputs, {
          event: config.event,
          env: { ...config.env, ...concurrency },
          entryFile: bundle.entryFile,
        });
        try {
          results.push(
            await profileConfig(session, driver, { name, label: config.label, runs, interval, outDir }),
          );
        } finally {
          await driver.stop();
        }
      }
    } finally {
      await session.close();
    }
  } finally {
    rmSync(bundleDir, { recursive: true, force: true });
  }
  process.stdout.write(
    `\nN = ${n}, ${delayMs > 0 ? `${delayMs} ms per @connections call` : "loopback"}, ${runs} runs each:\n` +
      results
        .map(
          (r) =>
            `- ${r.label}: Lambda CPU ${r.lambdaCpuPerThousand.toFixed(0)} ms per 1,000 sends; the local stack ` +
            `${r.stackCpuPerThousand.toFixed(0)} ms; publish to last receipt ${r.publishToLastMs.map((ms) => Math.round(ms)).join(", ")} ms`,
        )
        .join("\n") +
      "\n",
  );
}

/**
 * One configuration: an unmeasured run; `runs` runs measured without the profiler (its sampling costs CPU of its
 * own); then `runs` runs with both profilers sampling, whose shares split the measured figures.
 */
async function profileConfig(
  session: Session,
  driver: Driver,
  options: { name: string; label: string; runs: number; interval: number; outDir: string },
): Promise<Profiled> {
  const { n } = session;
  const drive = async (run: string) => {
    const { done, figures } = await session.driveToAll(driver, `profile-${options.name}-${run}`);
    if (!figures.delivery.exactlyOnce)
      throw new Error(
        `${options.label}: run ${run} was not exactly once (${figures.delivery.missing} missing)`,
      );
    progress(`${options.label}, run ${run}: ${Math.round(figures.publishToLastMs)} ms`);
    return {
      lambdaCpuMs: cpuMsBetween(done.before, done.after),
      systemMs: (done.after.cpuSystemMicros - done.before.cpuSystemMicros) / 1000,
      ms: figures.publishToLastMs,
    };
  };
  await drive("warm-up");
  let lambdaCpuMs = 0;
  let systemMs = 0;
  const times: number[] = [];
  const stackBefore = process.cpuUsage();
  for (let run = 1; run <= options.runs; run++) {
    const measured = await drive(`${run}/${options.runs}`);
    lambdaCpuMs += measured.lambdaCpuMs;
    systemMs += measured.systemMs;
    times.push(measured.ms);
  }
  const stackCpu = process.cpuUsage(stackBefore);

  await driver.startProfile(options.interval);
  const stopHere = await startCpuProfile(options.interval);
  for (let run = 1; run <= options.runs; run++) await drive(`${run}/${options.runs}, sampled`);
  const profile = await stopHere();
  const lambdaFile = join(options.outDir, `lambda-${options.name}.cpuprofile`);
  const stackFile = join(options.outDir, `local-stack-${options.name}.cpuprofile`);
  await driver.stopProfile(lambdaFile);
  writeFileSync(stackFile, JSON.stringify(profile));
  const sends = options.runs * n;
  const perThousand = (ms: number) => (ms / sends) * 1000;
  const lambdaCpuPerThousand = perThousand(lambdaCpuMs);
  const stackCpuPerThousand = perThousand((stackCpu.user + stackCpu.system) / 1000);
  // While the bundle is on disk: its source maps name the frames.
  const sourceOf = sourceMapsOf();
  const lambda = JSON.parse(readFileSync(lambdaFile, "utf8")) as CpuProfile;
  process.stdout.write(
    `\n${options.label}, N = ${n}, ${options.runs} runs\n` +
      describe(
        `the Lambda (${perThousand(systemMs).toFixed(0)} ms of it in the kernel)`,
        lambda,
        lambdaCpuPerThousand,
        sourceOf,
        lambdaFile,
      ) +
      describe("the local stack (gateway, emulator)", profile, stackCpuPerThousand, sourceOf, stackFile),
  );
  return { label: options.label, lambdaCpuPerThousand, stackCpuPerThousand, publishToLastMs: times };
}

/** One process's CPU per 1,000 sends, split by kind of work in proportion to its busy samples, then its top functions. */
function describe(
  who: string,
  profile: CpuProfile,
  cpuPerThousand: number,
  sourceOf: ReturnType<typeof sourceMapsOf>,
  file: string,
): string {
  const work = workTimes(profile, sourceOf);
  const row = (name: string, share: number, width = 6) =>
    `  ${(share * cpuPerThousand).toFixed(1).padStart(width)} ms ${(share * 100).toFixed(1).padStart(5)}%  ${name}`;
  const functions = selfTimes(profile, sourceOf)
    .functions.filter((f) => f.name !== "(idle) (native:0)" && !f.name.includes("node:inspector"))
    .slice(0, 12);
  const busy = work.busyMs;
  return (
    `${who}: ${cpuPerThousand.toFixed(0)} ms CPU per 1,000 sends (measured); by kind of work (sampled, ${busy.toFixed(0)} ms busy):\n` +
    `${work.kinds.map((k) => row(k.name, k.share)).join("\n")}\n` +
    `  top functions:\n${functions.map((f) => row(f.name, busy > 0 ? f.ms / busy : 0)).join("\n")}\n` +
    `  profile: ${file}\n`
  );
}

await runCli("profile", () => main(process.argv.slice(2)), "npx tsx util/bench/profile.ts --help");
// The profile is printed: do not wait for a child process or a kept-alive socket that is slow to let go.
process.exit();
