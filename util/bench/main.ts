/**
 * `npm run bench`: the fan-out benchmark. For each N it starts the local stack, connects N clients from separate
 * processes, publishes one message per run in every scenario (the ceilings, the peers' algorithms, ours through
 * SNS and through a broadcast request), under each network model, checks exactly-once delivery, and writes the
 * table, results.json and the chart.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { CliError, runCli } from "../lib/cli.js";
import { repoRoot } from "../lib/repo.js";
import { type BenchOptions, defaultProcesses, HELP, parseBenchArgs } from "./args.js";
import { judgeGoals, type RunResult, SCENARIO_LABELS, type ScenarioResult, summarize } from "./model.js";
import { progress } from "./progress.js";
import { renderChart } from "./report/chart.js";
import { describeMachine, openFilesLimit } from "./report/machine.js";
import { type BenchResults, renderSummary } from "./report/summary.js";
import {
  benchChannel,
  type ChannelResult,
  channelResults,
  measureBroadcastToK,
  measureChannelPublish,
} from "./scenarios/channels.js";
import { type ColdStart, measureColdStart } from "./scenarios/coldstart.js";
import { type CappedResult, measureCapped, requireCgroup } from "./scenarios/cpu-cap.js";
import { type HistoryResult, measureHistory } from "./scenarios/history.js";
import { measureSendPath } from "./scenarios/send-path.js";
import { nothingLostOrRepeated, type ShardResults } from "./scenarios/shard-results.js";
import { measureShards } from "./scenarios/shards.js";
import type { ConnectFigures } from "./session/clients.js";
import { Session } from "./session/session.js";

/** The latency-bound sharded runs hold every @connections call this long (the issue's network model). */
const SHARD_DELAY_MS = 10;
/** Shard counts of the latency-bound runs, and the shards of the throttle-bound one. */
const SHARD_COUNTS = [1, 2, 4];
const THROTTLE_SHARDS = 4;

/** Sequential sends with a delay take at least N x delay; past this budget the seed is bounded, not run. */
const SEQUENTIAL_BUDGET_MS = 30_000;

const DRIVEN = ["http-ceiling", "seed", "aws-sample"] as const;

/** Runs every scenario of one N under one network model, the runs interleaved so drift hits all alike. */
async function runModel(session: Session, options: BenchOptions): Promise<ScenarioResult[]> {
  const { n, delayMs } = session;
  const results = options.scenarios.map(
    (scenario): ScenarioResult => ({ scenario, n, delayMs, runs: [], summary: null }),
  );
  for (const result of results) {
    const boundMs = n * delayMs;
    if (result.scenario === "seed" && boundMs > SEQUENTIAL_BUDGET_MS) {
      result.skipped = `sequential, at least N x ${delayMs} ms`;
      result.lowerBoundMs = boundMs;
    }
  }
  for (let run = 1; run <= options.runs; run++) {
    for (const result of results) {
      if (result.skipped) continue;
      const runId = `${result.scenario}-${n}-${delayMs}-${run}`;
      const figures = await session.measure(result.scenario, runId);
      result.runs.push(figures);
      const d = figures.delivery;
      progress(
        `N = ${n}, ${delayMs ? `${delayMs} ms delay` : "loopback"}, run ${run}/${options.runs}, ` +
          `${SCENARIO_LABELS[result.scenario]}: ${Math.round(figures.publishToLastMs)} ms` +
          (d.exactlyOnce ? "" : ` (NOT exactly once: ${d.missing} missing, ${d.duplicated} duplicated)`),
      );
    }
  }
  for (const result of results) result.summary = summarize(result.runs);
  return results;
}

async function main(argv: string[]): Promise<void> {
  const options = parseBenchArgs(argv);
  if (options === null) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const limit = openFilesLimit();
  const biggest = Math.max(...options.ns, options.shardN ?? 0);
  // Each client socket lives in a client process, but the gateway holds the server side of all N in this one.
  if (limit !== null && biggest + 2_000 > limit) {
    throw new CliError(
      `N = ${biggest} needs about ${biggest + 2_000} open files in one process, the limit is ${limit}; ` +
        "raise it (ulimit -n) or lower N",
    );
  }
  // Asked for and impossible here: say so now, not after an hour of the other scenarios.
  if (options.cpuCap) requireCgroup();
  const startedAt = new Date().toISOString();
  const machine = describeMachine();
  progress("send path alone: the CPU of one PostToConnection per sender");
  const sendPath = await measureSendPath(options.quick ? 2_000 : 20_000);
  const scenarios: ScenarioResult[] = [];
  const connects: ConnectFigures[] = [];
  const k = options.channelMembers ?? 0;
  const delays = options.delayMs > 0 ? [0, options.delayMs] : [0];
  const publishes: Array<{ n: number; delayMs: number; runs: RunResult[] }> = [];
  for (const n of options.ns) {
    const session = await Session.open(n, {
      processes: options.processes || defaultProcesses(n),
      drivers: DRIVEN.filter((d) => options.scenarios.includes(d)),
    });
    try {
      connects.push(session.connect);
      if (k > 0 && k <= n) await session.subscribeChannel(benchChannel(k), k);
      for (const delayMs of delays) {
        session.delayMs = delayMs;
        scenarios.push(...(await runModel(session, options)));
        if (k > 0 && k <= n)
          publishes.push({ n, delayMs, runs: await measureChannelPublish(session, k, options.runs) });
      }
    } finally {
      await session.close();
    }
  }
  let channels: ChannelResult[] | undefined;
  if (publishes.length > 0) {
    progress(`channel scenario: a broadcast in a stack of exactly K = ${k} connections, to compare with`);
    channels = channelResults(publishes, await measureBroadcastToK(k, delays, options.runs), k);
  }
  let shards: ShardResults | undefined;
  if ((options.shardN ?? 0) > 0) {
    progress(`sharded scenarios: N = ${options.shardN}, every fan-out through the shard queue`);
    shards = await measureShards({
      n: options.shardN ?? 0,
      shardCounts: SHARD_COUNTS,
      delayMs: SHARD_DELAY_MS,
      perShardConcurrency: options.shardConcurrency ?? 4,
      throttleRate: options.throttleRate ?? 0,
      throttleShards: THROTTLE_SHARDS,
      runs: options.runs,
    });
  }
  let capped: CappedResult | undefined;
  if (options.cpuCap) {
    progress("at Lambda's CPU share: an inline fan-out with the function in a cgroup");
    capped = await measureCapped({ runs: options.runs, ...(options.quick ? { recipients: 100 } : {}) });
  }
  let history: HistoryResult[] | undefined;
  if ((options.historyMembers ?? []).length > 0) {
    progress(
      `history scenario: channels of ${options.historyMembers?.join(", ")} members, history off and on`,
    );
    history = await measureHistory(options.historyMembers ?? [], options.runs);
  }
  let coldStart: ColdStart | null = null;
  if (options.coldStart) {
    progress("cold start: building the bundle and importing it in fresh processes");
    coldStart = await measureColdStart(options.quick ? 3 : 7);
  }
  const results: BenchResults = {
    command: `npm run bench${argv.length > 0 ? ` -- ${argv.join(" ")}` : ""}`,
    startedAt,
    finishedAt: new Date().toISOString(),
    machine,
    note: "Each scenario's figures are the median of its runs; sender peak RSS is a high-water mark of the process.",
    options,
    connects,
    scenarios,
    goals: judgeGoals(scenarios, options.delayMs),
    coldStart,
    ...(channels ? { channels } : {}),
    ...(shards ? { shards } : {}),
    sendPath,
    ...(capped ? { capped } : {}),
    ...(history ? { history } : {}),
  };
  const outDir = resolve(options.outDir);
  mkdirSync(outDir, { recursive: true });
  const jsonFile = join(outDir, "results.json");
  writeFileSync(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
  // Committed results must pass the repository's `biome check` like every other file; biome decides the layout.
  spawnSync(join(repoRoot, "node_modules/.bin/biome"), ["format", "--write", jsonFile], {
    cwd: repoRoot,
    stdio: "ignore",
  });
  const title = `fanout: publish to last receipt (${machine.cores} cores, ${machine.cpuModel}, Node ${machine.node})`;
  writeFileSync(join(outDir, "fanout.svg"), renderChart(scenarios, title));
  const summary = renderSummary(results);
  writeFileSync(join(outDir, "results.md"), `${summary}\n`);
  process.stdout.write(
    `\n${summary}\n\nwrote results.json, results.md and fanout.svg to ${options.outDir}\n`,
  );
  const broken = scenarios.filter((s) => s.summary && !s.summary.exactlyOnce);
  const brokenChannels = (channels ?? []).filter((c) => c.publish.summary && !c.publish.summary.exactlyOnce);
  if (brokenChannels.length > 0) {
    throw new CliError(
      `not exactly once in the channel publish (${brokenChannels.map((c) => `N = ${c.n}, ${c.delayMs} ms`).join(", ")})`,
    );
  }
  if (capped && !capped.exactlyOnce) throw new CliError("not exactly once in the run at Lambda's CPU share");
  const brokenHistory = (history ?? []).filter(
    (h) => !h.off.summary?.exactlyOnce || !h.on.summary?.exactlyOnce,
  );
  if (brokenHistory.length > 0)
    throw new CliError(
      `not exactly once in the history scenario (K = ${brokenHistory.map((h) => h.k).join(", ")})`,
    );
  if (shards && !nothingLostOrRepeated(shards)) {
    throw new CliError(
      `the sharded runs were not exactly once, or shards were left in the dead-letter queue (${shards.deadLetterDepth})`,
    );
  }
  if (broken.length > 0) {
    throw new CliError(
      `not exactly once in ${broken.map((s) => `${s.scenario} (N = ${s.n}, ${s.delayMs} ms)`).join(", ")}`,
    );
  }
}

await runCli("bench", () => main(process.argv.slice(2)), "npm run bench -- --help");
// The verdict is out: do not wait for a child process or a kept-alive socket that is slow to let go.
process.exit();
