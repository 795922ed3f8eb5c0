import { describe, expect, it } from "vitest";
import { defaultProcesses, parseBenchArgs } from "../../util/bench/args.js";
import { shares } from "../../util/bench/session/clients.js";
import { benchMessage, runIdOf } from "../../util/bench/session/ipc.js";
import { UsageError } from "../../util/lib/cli.js";

describe("parseBenchArgs", () => {
  it("defaults to N = 1,000 and 10,000, 10 ms, 3 runs, every scenario, into bench/", () => {
    // Prepare
    const argv: string[] = [];
    // Act
    const options = parseBenchArgs(argv);
    // Assess
    expect(options).toMatchObject({ ns: [1000, 10000], delayMs: 10, runs: 3, processes: 0, outDir: "bench" });
    expect(options).toMatchObject({ shardN: 10_000, shardConcurrency: 4, throttleRate: 500 });
    expect(options?.historyMembers).toEqual([100, 10_000]);
    expect(options?.scenarios).toHaveLength(6);
    expect(options?.coldStart).toBe(true);
  });

  it("makes --quick small and keeps its output out of the committed results", () => {
    // Prepare
    const argv = ["--quick"];
    // Act
    const options = parseBenchArgs(argv);
    // Assess
    expect(options).toMatchObject({
      ns: [100],
      runs: 1,
      outDir: ".local/bench-quick",
      quick: true,
      channelMembers: 10,
      shardN: 200,
      throttleRate: 100,
      historyMembers: [10],
    });
  });

  it("reads every flag", () => {
    // Prepare
    const argv = [
      "-n",
      "50, 200",
      "--delay",
      "0",
      "--runs",
      "5",
      "--processes",
      "3",
      "--scenarios",
      "seed,ours-sns",
    ];
    // Act
    const options = parseBenchArgs([
      ...argv,
      "--out",
      "/tmp/x",
      "--no-cold-start",
      "--channel-members",
      "25",
      "--shard-n",
      "0",
      "--shard-concurrency",
      "2",
      "--throttle-rate",
      "500",
      "--cpu-cap",
      "--history-members",
      "0, 30",
    ]);
    // Assess
    expect(options).toEqual({
      ns: [50, 200],
      delayMs: 0,
      runs: 5,
      processes: 3,
      outDir: "/tmp/x",
      scenarios: ["seed", "ours-sns"],
      coldStart: false,
      channelMembers: 25,
      shardN: 0,
      shardConcurrency: 2,
      throttleRate: 500,
      cpuCap: true,
      historyMembers: [30],
      quick: false,
    });
  });

  it("returns null for --help", () => {
    // Prepare
    const argv = ["--help"];
    // Act
    const options = parseBenchArgs(argv);
    // Assess
    expect(options).toBeNull();
  });

  it.each([
    [["--n", "ten"], /--n must be an integer >= 1, got 'ten'/],
    [["--n", "0"], /--n must be/],
    [["--delay=-1"], /--delay must be an integer >= 0/],
    [["--runs", "1.5"], /--runs must be/],
    [["--shard-concurrency", "0"], /--shard-concurrency must be an integer >= 1/],
    [["--throttle-rate", "fast"], /--throttle-rate must be an integer >= 0/],
    [["--scenarios", "ours,seed"], /unknown scenario 'ours'; choose from ceiling/],
    [["--bogus"], /Unknown option '--bogus'/],
    [["extra"], /positional/],
  ])("rejects %j with a usage error that says what to do", (argv, message) => {
    // Prepare
    const parse = () => parseBenchArgs(argv);
    // Act
    let error: unknown;
    try {
      parse();
    } catch (e) {
      error = e;
    }
    // Assess
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(message);
  });
});

describe("client spreading", () => {
  it("splits N over the processes within one of each other and never starts an empty one", () => {
    // Prepare
    const cases: [number, number][] = [
      [10_000, 8],
      [1_001, 2],
      [3, 8],
    ];
    // Act
    const split = cases.map(([n, k]) => shares(n, k));
    // Assess
    expect(split[0]).toEqual(new Array(8).fill(1250));
    expect(split[1]).toEqual([501, 500]);
    expect(split[2]).toEqual([1, 1, 1]);
    expect([100, 1_000, 10_000, 100_000].map(defaultProcesses)).toEqual([2, 2, 8, 8]);
  });
});

describe("runIdOf", () => {
  it("finds the run id in a direct message and in a broadcast's wrapper, and ignores other frames", () => {
    // Prepare
    const direct = JSON.stringify(benchMessage("r1"));
    const wrapped = JSON.stringify({ message: benchMessage("r2") });
    const others = ['{"action":"pong"}', "not json", '"bench"', '{"bench":7}', '{"message":{"bench":null}}'];
    // Act
    const ids = [direct, wrapped, ...others].map(runIdOf);
    // Assess
    expect(ids).toEqual(["r1", "r2", undefined, undefined, undefined, undefined, undefined]);
  });
});
