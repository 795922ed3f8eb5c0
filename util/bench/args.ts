/**
 * The benchmark's command line: `npm run bench -- [options]`. Parsing is separate from running so that every
 * usage error is unit-tested without starting a stack.
 */
import { parseCliArgs, UsageError } from "../lib/cli.js";
import { SCENARIOS, type ScenarioId } from "./model.js";

/** What a benchmark run does. */
export interface BenchOptions {
  /** Client counts, each a separate stack and set of clients. */
  ns: number[];
  /** Injected delay per @connections call for the second network model, ms; 0 runs loopback only. */
  delayMs: number;
  /** Published messages per scenario and network model (the median is reported). */
  runs: number;
  /** Client processes; 0 picks from N. */
  processes: number;
  /** Directory the results (results.json, fanout.svg) are written to. */
  outDir: string;
  scenarios: ScenarioId[];
  /** Measure the bundle's size and cold import. */
  coldStart: boolean;
  /** Members K of the channel scenario (a publish to K among N vs a broadcast to K); 0 skips it. */
  channelMembers?: number;
  /** Clients of the sharded scenarios (docs/scaling.md); 0 skips them. */
  shardN?: number;
  /** @connections calls in flight per shard in the latency-bound sharded runs. */
  shardConcurrency?: number;
  /** The @connections throttle R of the throttle-bound sharded runs, calls a second; 0 skips them. */
  throttleRate?: number;
  /** Also measure an inline fan-out with the function capped at the deployed memory's CPU share (a cgroup, as root). */
  cpuCap?: boolean;
  /** Channel sizes of the history scenario (a publish with the channel's history off, then on); empty skips it. */
  historyMembers?: number[];
  quick: boolean;
}

/** The help text. */
export const HELP = `Usage: npm run bench -- [options]

Starts the local stack, connects N WebSocket clients from separate processes, publishes one message per run in
each scenario (ceiling, http-ceiling, seed, aws-sample, ours-sns, ours-broadcast) on loopback and with an injected
delay on every @connections call, and checks that every client got every message exactly once. Prints a table
and writes <out>/results.json, <out>/results.md (the table) and <out>/fanout.svg.

Options:
  --quick             small and fast (N = 100, 1 run): what CI runs so the benchmark never rots
  -n, --n LIST        client counts, comma-separated (default 1000,10000)
  --delay MS          injected delay per @connections call for the second network model (default 10; 0 = none)
  --runs R            messages per scenario and network model; the median is reported (default 3)
  --processes K       client processes (default: from N, 2 to 8)
  --scenarios LIST    a subset, comma-separated (default: all)
  --out DIR           output directory (default bench, or .local/bench-quick with --quick)
  --channel-members K members of the channel scenario: a publish to K clients among N, compared with a
                      broadcast to a stack of K (default 100, 10 with --quick; 0 skips it)
  --shard-n N         clients of the sharded scenarios: 1, 2 and 4 shards with 10 ms per @connections call, then
                      4 shards under a @connections throttle (default 10000, 200 with --quick; 0 skips them)
  --shard-concurrency C
                      @connections calls in flight per shard in the 10 ms runs (default 4): small enough that
                      latency, not this machine's cores, bounds a shard
  --throttle-rate R   the @connections throttle of the throttle-bound run, calls a second; the floor is N / R
                      (default 500, 100 with --quick; 0 skips it): low enough that the throttle, not this
                      machine's two cores, is the bound
  --history-members LIST
                      channel sizes of the history scenario: a stack of K clients on one channel, each publish
                      measured with the channel's history off and on (default 100,10000, 10 with --quick; 0 skips it)
  --no-cold-start     skip the bundle size and cold import measurement
  --cpu-cap           also run an inline fan-out (to the inline maximum, 1,000; 100 with --quick) with the function
                      capped at the deployed memory's CPU share, as Lambda caps it: a cgroup v1 cpu quota, which needs
                      root; without it the benchmark stops at once and says so
  -h, --help          this text

Example:
  npm run bench -- -n 1000 --delay 10 --runs 5 --out /tmp/bench`;

/**
 * Reads an integer flag, or throws a {@link UsageError} that names the flag and the bound.
 * @param name - the flag as typed (`--runs`), for the message
 * @param text - its value
 * @param min - the smallest value allowed
 */
export function intFlag(name: string, text: string, min: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) {
    throw new UsageError(`${name} must be an integer >= ${min}, got '${text}'`);
  }
  return value;
}

/** Parses argv (without node and the script); throws {@link UsageError} on bad usage; null means --help. */
export function parseBenchArgs(argv: string[]): BenchOptions | null {
  const { values } = parseCliArgs({
    args: argv,
    options: {
      quick: { type: "boolean", default: false },
      n: { type: "string", short: "n" },
      delay: { type: "string" },
      runs: { type: "string" },
      processes: { type: "string" },
      scenarios: { type: "string" },
      out: { type: "string" },
      "no-cold-start": { type: "boolean", default: false },
      "channel-members": { type: "string" },
      "shard-n": { type: "string" },
      "shard-concurrency": { type: "string" },
      "throttle-rate": { type: "string" },
      "cpu-cap": { type: "boolean", default: false },
      "history-members": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    allowPositionals: false,
  });
  if (values.help) return null;
  const quick = values.quick === true;
  const ns = (values.n ?? (quick ? "100" : "1000,10000"))
    .split(",")
    .map((part) => intFlag("--n", part.trim(), 1));
  const scenarios = values.scenarios
    ? values.scenarios.split(",").map((part) => {
        const id = part.trim() as ScenarioId;
        if (!SCENARIOS.includes(id)) {
          throw new UsageError(`unknown scenario '${part}'; choose from ${SCENARIOS.join(", ")}`);
        }
        return id;
      })
    : [...SCENARIOS];
  return {
    ns,
    delayMs: intFlag("--delay", values.delay ?? "10", 0),
    runs: intFlag("--runs", values.runs ?? (quick ? "1" : "3"), 1),
    processes: values.processes === undefined ? 0 : intFlag("--processes", values.processes, 1),
    outDir: values.out ?? (quick ? ".local/bench-quick" : "bench"),
    scenarios,
    coldStart: values["no-cold-start"] !== true,
    channelMembers: intFlag("--channel-members", values["channel-members"] ?? (quick ? "10" : "100"), 0),
    shardN: intFlag("--shard-n", values["shard-n"] ?? (quick ? "200" : "10000"), 0),
    shardConcurrency: intFlag("--shard-concurrency", values["shard-concurrency"] ?? "4", 1),
    throttleRate: intFlag("--throttle-rate", values["throttle-rate"] ?? (quick ? "100" : "500"), 0),
    cpuCap: values["cpu-cap"] === true,
    historyMembers: (values["history-members"] ?? (quick ? "10" : "100,10000"))
      .split(",")
      .map((part) => intFlag("--history-members", part.trim(), 0))
      .filter((k) => k > 0),
    quick,
  };
}

/** Client processes for n clients when not given: 2 to 8, about 1,250 sockets each. */
export function defaultProcesses(n: number): number {
  return Math.min(8, Math.max(2, Math.ceil(n / 1250)));
}
