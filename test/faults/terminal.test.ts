import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type ProcessResult, runToEnd } from "../../util/lib/cli.js";
import { repoRoot } from "../../util/lib/repo.js";
import { accessRecords, readLog, s3Client, storedConnectionIds, useStacks } from "../support/stack.js";
import { eventually } from "../support/wait.js";
import { Client, connectMany, HandshakeRefused } from "../support/ws-client.js";

const TSX = join(repoRoot, "node_modules/.bin/tsx");
const MAIN = join(repoRoot, "util/local-stack/main.ts");

/** Runs `npm start` (its script, without npm) to its exit; only for runs that end on their own. */
function runStart(args: string[]): Promise<ProcessResult> {
  return runToEnd(TSX, [MAIN, ...args], { cwd: repoRoot, env: process.env });
}

/** The terminal clock column (`HH:MM:SS.mmm`) of a printed log line, as milliseconds of the day. */
function clockOf(line: string): number | undefined {
  const match = /^(\d\d):(\d\d):(\d\d)\.(\d\d\d) /.exec(line);
  if (!match) return undefined;
  const [h, m, s, ms] = match.slice(1).map(Number) as [number, number, number, number];
  return ((h * 60 + m) * 60 + s) * 1000 + ms;
}

/** What the stack prints, the terminal output of `npm start`, and its access log; timing of requests ending. */
describe("faults: the terminal and the stack's edges", () => {
  const stacks = useStacks();

  it("refuses --host that is empty or not loopback (without --allow-remote) with exit 2, before starting anything", async () => {
    // Act
    const [empty, any, lan] = await Promise.all([
      runStart(["--host", ""]),
      runStart(["--host", "0.0.0.0"]),
      runStart(["--host", "10.1.2.3", "--state-dir", "/nonexistent/never-written"]),
    ]);

    // Assess
    expect([empty.code, any.code, lan.code]).toEqual([2, 2, 2]);
    expect(empty.stderr).toContain(
      "--host must not be empty (it would bind every interface); omit it for 127.0.0.1",
    );
    expect(any.stderr).toContain(
      "--host 0.0.0.0 is not a loopback address: add --allow-remote to expose the stack to the network",
    );
    expect(lan.stderr).toContain("--host 10.1.2.3 is not a loopback address: add --allow-remote");
    expect([empty.stdout, any.stdout, lan.stdout]).toEqual(["", "", ""]);
  });

  it("prints lines in the order requests end, with a clock that only goes forward", async () => {
    // Prepare: a slow broadcast (its POSTs held 1.5 s) and a quick ping that starts after it and ends first.
    const printed: string[] = [];
    const stack = await stacks.start({ lambdaConcurrency: 2, log: (line) => printed.push(line) });
    const [a, b] = await connectMany(stack.tokenUrl(), 2);
    stacks.trackAll([a as Client, b as Client]);
    await Promise.all([a?.roundTrip(), b?.roundTrip()]);
    await eventually(
      "the warm-up pings printed",
      () => printed.filter((l) => / gateway MESSAGE +ping /.test(l)).length === 2,
    );
    const from = printed.length;

    // Act
    stack.gateway.setManagementDelayMs(1500);
    a?.send({ action: "broadcast", message: "slow" });
    await new Promise((resolve) => setTimeout(resolve, 300));
    stack.gateway.setManagementDelayMs(0);
    await b?.roundTrip();
    await eventually("the broadcast's line", () =>
      printed.slice(from).some((l) => / gateway MESSAGE +broadcast 200 /.test(l)),
    );

    // Assess
    const lines = printed.slice(from).filter((l) => / gateway MESSAGE /.test(l));
    expect(lines.map((l) => / gateway MESSAGE +(\w+) /.exec(l)?.[1])).toEqual(["ping", "broadcast"]);
    const clocks = printed.slice(from).map(clockOf);
    expect(clocks.every((c) => c !== undefined)).toBe(true);
    expect(clocks).toEqual([...clocks].sort((x, y) => (x as number) - (y as number)));
    // The access log keeps each request's start: the broadcast started first.
    const messages = (await accessRecords(stack, "MESSAGE")).slice(-2);
    expect(messages.map((r) => r.routeKey)).toEqual(["ping", "broadcast"]);
    expect(Number(messages[1]?.requestTime)).toBeLessThan(Number(messages[0]?.requestTime));
  });

  it("cleans up a $connect that timed out (504) but then stored its key: one $disconnect, no key left", async () => {
    // Prepare: API Gateway gives up after 1 s; the store answers after 2 s; the function would wait 10 s.
    const stack = await stacks.start({ integrationTimeoutMs: 1000, lambdaTimeoutMs: 10_000 });
    stack.emulator.setStoreDelayMs(2000);

    // Act
    const refused = await Client.connect(stack.tokenUrl()).catch((error: unknown) => error);
    await eventually("the late $connect ended by a $disconnect that removed its key", async () =>
      (await readLog(stack.outputs.lambda_log_file)).some((r) => r.message === "disconnected"),
    );
    stack.emulator.setStoreDelayMs(0);

    // Assess
    expect(refused).toBeInstanceOf(HandshakeRefused);
    expect((refused as HandshakeRefused).status).toBe(504);
    const [connect] = await accessRecords(stack, "CONNECT");
    const [disconnect] = await accessRecords(stack, "DISCONNECT");
    expect(connect).toMatchObject({ status: "504", errorMessage: "Endpoint request timed out" });
    // The $disconnect meets the same slow store, so API Gateway gives up on it too; the function still removes the key.
    expect(disconnect).toMatchObject({ connectionId: connect?.connectionId, status: "504" });
    const lambda = await readLog(stack.outputs.lambda_log_file);
    expect(lambda.filter((r) => r.message === "connected")).toHaveLength(1);
    expect(lambda.filter((r) => r.message === "disconnected")).toHaveLength(1);
    expect(await storedConnectionIds(stack, s3Client(stack))).toEqual([]);
    expect(stack.gateway.connectionCount()).toBe(0);
  });

  it("stops during traffic without a burst of 5xx or 'Runtime exited' lines; the last line says it stopped", async () => {
    // Prepare: 10 clients broadcasting in a loop, with slow fan-outs in flight when the stop comes.
    const printed: string[] = [];
    const stack = await stacks.start({ lambdaConcurrency: 2, log: (line) => printed.push(line) });
    const all = await connectMany(stack.tokenUrl(), 10);
    stacks.trackAll(all);
    stack.gateway.setManagementDelayMs(200);
    let sending = true;
    const traffic = (async () => {
      for (let i = 0; sending; i++) {
        for (const c of all)
          if (c.ws.readyState === c.ws.OPEN) c.send({ action: "broadcast", message: `t${i}` });
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    await eventually("traffic flowing", () => all.every((c) => c.received.length >= 10));

    // Act
    await stack.stop();
    sending = false;
    await traffic;

    // Assess
    const after = printed.filter((l) => / gateway /.test(l));
    expect(after.length).toBeGreaterThan(10);
    expect(printed.filter((l) => / gateway \w+ +\S+ 5\d\d /.test(l))).toEqual([]);
    expect(printed.filter((l) => /Runtime exited|Runtime\.Stopped|ERROR/.test(l))).toEqual([]);
    expect(printed.at(-1)).toBe("fanout local stack stopped");
    expect(await Promise.all(all.map((c) => c.closed.then((x) => x.code)))).toEqual(Array(10).fill(1001));
  });
});
