/**
 * An inline fan-out at Lambda's CPU share (`npm run bench -- --cpu-cap`): the local stack's one execution
 * environment runs in a Linux cgroup (v1 `cpu` controller) whose quota is the deployed memory's share of a vCPU
 * (1,769 MB = one vCPU, 1,024 MB = 57,900 of every 100,000 us), which is how Lambda caps CPU; the gateway, the
 * emulator and the clients stay uncapped, as AWS's are not the function's. It measures an SNS message to as many
 * clients as the inline maximum, for the projection to be checked against.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_FANOUT_INLINE_MAX, DEFAULT_LAMBDA_MEMORY_MB } from "../../../src/contract/index.js";
import { CliError } from "../../lib/cli.js";
import { defaultProcesses } from "../args.js";
import { progress } from "../progress.js";
import { DEFAULT_PROJECTION_INPUTS } from "../report/projection.js";
import { Session } from "../session/session.js";
import { median } from "../stats.js";

/** Where cgroup v1 mounts its `cpu` controller; `FANOUT_BENCH_CGROUP_CPU` names another (a test names a missing one). */
const CPU_CONTROLLER = process.env.FANOUT_BENCH_CGROUP_CPU ?? "/sys/fs/cgroup/cpu";
/** The period the quota is counted against, µs (the kernel's default). */
const PERIOD_US = 100_000;

/** What the capped runs measured. */
export interface CappedResult {
  memoryMb: number;
  /** The cgroup's `cpu.cfs_quota_us` against {@link PERIOD_US}. */
  quotaUs: number;
  periodUs: number;
  recipients: number;
  /** Per run: publish to the last receipt, ms. */
  publishToLastMs: number[];
  /** Per run: the fan-out's own `durationMs` (its summary line). */
  fanoutMs: number[];
  /** The environment's CPU per 1,000 sends over the runs, ms. */
  cpuMsPerThousandSends: number | null;
  exactlyOnce: boolean;
}

/**
 * Says why a capped measurement cannot run here, or undefined when it can: the cgroup v1 `cpu` controller must be
 * mounted and writable (as root). Checked by making and removing a group.
 */
function cgroupProblem(): string | undefined {
  if (!existsSync(join(CPU_CONTROLLER, "cpu.cfs_quota_us"))) {
    return `there is no cgroup v1 cpu controller at ${CPU_CONTROLLER} (Linux with cgroup v1 is needed)`;
  }
  const probe = join(CPU_CONTROLLER, `fanout-bench-probe-${process.pid}`);
  try {
    mkdirSync(probe);
    writeFileSync(join(probe, "cpu.cfs_quota_us"), String(PERIOD_US));
    return undefined;
  } catch (error) {
    return `${CPU_CONTROLLER} is not writable (${(error as Error).message}); run the benchmark as root`;
  } finally {
    if (existsSync(probe)) rmdirSync(probe);
  }
}

/**
 * Fails with a clear message when `--cpu-cap` was asked for and the cgroup cannot be used, before anything starts.
 * @throws CliError saying why and what to do
 */
export function requireCgroup(): void {
  const problem = cgroupProblem();
  if (problem !== undefined) {
    throw new CliError(
      `--cpu-cap measures the function at Lambda's CPU share in a cgroup, but ${problem}; leave --cpu-cap out to run the rest`,
    );
  }
}

/** A cgroup v1 `cpu` group with a quota, holding the processes put in it until {@link release}. */
class CpuGroup {
  private readonly dir = join(CPU_CONTROLLER, `fanout-bench-${process.pid}`);

  constructor(readonly quotaUs: number) {
    mkdirSync(this.dir);
    writeFileSync(join(this.dir, "cpu.cfs_period_us"), String(PERIOD_US));
    writeFileSync(join(this.dir, "cpu.cfs_quota_us"), String(quotaUs));
  }

  add(pid: number): void {
    writeFileSync(join(this.dir, "cgroup.procs"), String(pid));
  }

  /** Moves every process back to the root group and removes the group. */
  release(): void {
    for (const pid of readFileSync(join(this.dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean)) {
      writeFileSync(join(CPU_CONTROLLER, "cgroup.procs"), pid);
    }
    rmdirSync(this.dir);
  }
}

/**
 * Runs `runs` SNS messages to `recipients` clients, inline, with the one execution environment capped at the CPU
 * share of `memoryMb`, after one unmeasured message at the same cap.
 * @param options - recipients (default the inline maximum), memory (default the routes'), runs
 */
export async function measureCapped(options: {
  recipients?: number;
  memoryMb?: number;
  runs: number;
}): Promise<CappedResult> {
  const recipients = options.recipients ?? DEFAULT_FANOUT_INLINE_MAX;
  const memoryMb = options.memoryMb ?? DEFAULT_LAMBDA_MEMORY_MB;
  const quotaUs = Math.round((memoryMb / DEFAULT_PROJECTION_INPUTS.mbPerVcpu) * PERIOD_US);
  const session = await Session.open(recipients, {
    processes: defaultProcesses(recipients),
    drivers: [],
    // One environment, as one event runs in one on Lambda: the cap is that environment's.
    lambdaConcurrency: 1,
  });
  const group = new CpuGroup(quotaUs);
  try {
    const pids = session.lambdaPids();
    if (pids.length !== 1) throw new Error(`expected one warm execution environment, found ${pids.length}`);
    group.add(pids[0] as number);
    await session.measure("ours-sns", "cpu-cap-warm-up");
    const result: CappedResult = {
      memoryMb,
      quotaUs,
      periodUs: PERIOD_US,
      recipients,
      publishToLastMs: [],
      fanoutMs: [],
      cpuMsPerThousandSends: null,
      exactlyOnce: true,
    };
    let cpuMs = 0;
    for (let run = 1; run <= options.runs; run++) {
      const logFrom = await session.log.end();
      const figures = await session.measure("ours-sns", `cpu-cap-${run}`);
      const done = (await session.log.since(logFrom)).find((line) => line.message === "fan-out done");
      result.publishToLastMs.push(figures.publishToLastMs);
      result.fanoutMs.push(Number(done?.durationMs ?? Number.NaN));
      result.exactlyOnce &&= figures.delivery.exactlyOnce;
      cpuMs += figures.senderCpuMs ?? Number.NaN;
      progress(
        `at ${memoryMb} MB's CPU share (quota ${quotaUs} of ${PERIOD_US} us), run ${run}/${options.runs}: ` +
          `${Math.round(figures.publishToLastMs)} ms to the last of ${recipients}`,
      );
    }
    result.cpuMsPerThousandSends = Number.isFinite(cpuMs)
      ? (cpuMs / (options.runs * recipients)) * 1000
      : null;
    return result;
  } finally {
    group.release();
    await session.close();
  }
}

/**
 * The summary's line on the capped runs, beside what the projection's arithmetic predicts at that share from their
 * own CPU per send.
 * @param result - the capped runs, if the run measured them
 */
export function renderCappedLine(result: CappedResult | undefined): string[] {
  if (result === undefined) return [];
  const share = result.quotaUs / result.periodUs;
  const c = result.cpuMsPerThousandSends === null ? undefined : result.cpuMsPerThousandSends / 1000;
  const model = c === undefined ? "n/a" : `${Math.round((result.recipients * c) / share)} ms`;
  return [
    `- at Lambda's CPU share (measured, --cpu-cap): the function's environment capped at ${share.toFixed(3)} vCPU ` +
      `(quota ${result.quotaUs} of ${result.periodUs} us, as ${result.memoryMb} MB), an SNS message to ` +
      `${result.recipients.toLocaleString("en-US")} clients inline: fan-out ${Math.round(median(result.fanoutMs))} ms ` +
      `(its summary's durationMs), publish to last receipt ${Math.round(median(result.publishToLastMs))} ms, ` +
      `Lambda CPU ${c === undefined ? "n/a" : `${(c * 1000).toFixed(0)} ms`} per 1,000 sends; the model's sending time at ` +
      `that share, recipients x CPU per send / share: ${model}; ${result.exactlyOnce ? "exactly once" : "NOT exactly once"}`,
  ];
}
