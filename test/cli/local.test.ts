import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../util/lib/repo.js";
import { freePort, lines, useCliStack } from "./support/local-stack.js";
import { runCliToEnd } from "./support/run.js";

const local = useCliStack();
const { start, listener } = local;

describe("util/send-data --local", () => {
  it("publishes to the local topic: a listening client receives the payload exactly, and the MessageId is printed", async () => {
    // Prepare
    const { env } = local;
    const client = await listener();
    const payload = '{"hello": "world", "n": [1, 2.5, null]}';

    // Act
    const result = await runCliToEnd("send-data", ["--local", "--attribute", "source=test", payload], env);

    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^MessageId: [0-9a-f-]{36}\n$/);
    expect(await lines(client, 1)).toEqual([payload]);
  });

  it("reads a big payload from stdin (over one 32 KB frame, under 128 KB)", async () => {
    // Prepare
    const { env } = local;
    const client = await listener();
    const payload = JSON.stringify({ big: "é".repeat(30_000), end: true });

    // Act
    const result = await runCliToEnd("send-data", ["--local"], env, `${payload}\n`);

    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(await lines(client, 1)).toEqual([payload]);
  });

  it("says the topic does not exist, in one line, exit 1", async () => {
    // Prepare
    const { stack, env } = local;
    const arn = stack.outputs.input_sns_topic_arn.replace(/[^:]+$/, "no-such-topic");

    // Act
    const result = await runCliToEnd("send-data", ["--local", "--topic-arn", arn, "{}"], env);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `send-data: topic ${arn} does not exist in the local stack: is --topic-arn right? (restarting \`npm start\` recreates it)\n`,
    );
  });

  it("says when the local stack is gone (outputs left behind by a stopped npm start)", async () => {
    // Prepare: outputs that point at a port nobody listens on
    const { stack, env, dir } = local;
    const port = await freePort();
    const stale = join(dir, "stale-outputs.json");
    writeFileSync(stale, JSON.stringify({ ...stack.outputs, sns_endpoint: `http://127.0.0.1:${port}` }));

    // Act
    const result = await runCliToEnd("send-data", ["--local", "--outputs", stale, "{}"], env);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `send-data: cannot reach the local stack at http://127.0.0.1:${port} (ECONNREFUSED): is \`npm start\` still running?\n`,
    );
  });
});

describe("util/tail-logs --local", () => {
  it("follows both log files, labelling each line and pretty-printing JSON; Ctrl-C stops it with exit 0", async () => {
    // Prepare: from now on only, so that what is printed comes from this test's ping, not from earlier lines
    const { env } = local;
    const tail = start("tail-logs", ["--local", "--follow", "--since", new Date().toISOString()]);
    await tail.waitFor("stderr", /following .*lambda\.log and .*access\.log/);

    // Act: a client that pings, so that both the gateway and the Lambda log it
    const ping = await runCliToEnd("connect", ["--local", "--ping", "--count", "1"], env);
    await tail.waitFor("stdout", /^\[api-gw\] {3}"routeKey": "ping",$/m);
    await tail.waitFor("stdout", /^\[lambda\] {3}"routeKey": "ping",$/m);
    tail.child.kill("SIGINT");
    const result = await tail.done;

    // Assess
    expect(ping.code).toBe(0);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\[lambda\] \{\n\[lambda\] {3}"level": "INFO",$/m);
    expect(
      result.stdout
        .split("\n")
        .filter((line) => line !== "")
        .every((line) => /^\[(lambda|api-gw)\] /.test(line)),
    ).toBe(true);
  });

  it("without --follow, prints the recent lines raw and exits", async () => {
    // Prepare: make sure there is something to print
    const { env } = local;
    await runCliToEnd("connect", ["--local", "--ping", "--count", "1"], env);

    // Act
    const result = await runCliToEnd("tail-logs", ["--local", "--since", "1h", "--raw"], env);

    // Assess
    expect(result.code, result.stderr).toBe(0);
    const printed = result.stdout.trimEnd().split("\n");
    expect(printed.some((line) => /^\[api-gw\] \{.*"routeKey":"ping"/.test(line))).toBe(true);
    expect(printed.some((line) => /^\[lambda\] \{.*"routeKey":"ping"/.test(line))).toBe(true);
  });
});

describe("the README's local quick example", () => {
  it("runs exactly as written, and every terminal prints what the README says", async () => {
    // Prepare: the commands and the promised output, from the README itself
    const steps = quickExampleSteps(readFileSync(join(repoRoot, "README.md"), "utf8"));
    const terminals = new Map<number, { processes: ReturnType<typeof spawnShell>[]; stdout: string }>();
    const launched: { step: Step; shell: ReturnType<typeof spawnShell> }[] = [];

    // Act: each command in its terminal, in order; a command that stays connected runs on while the next starts
    for (const step of steps) {
      const terminal = terminals.get(step.terminal) ?? { processes: [], stdout: "" };
      terminals.set(step.terminal, terminal);
      const shell = spawnShell(step.command, (chunk) => {
        terminal.stdout += chunk;
      });
      terminal.processes.push(shell);
      launched.push({ step, shell });
      await shell.settled;
    }
    const expectations = steps.flatMap((step) => step.expect);
    const deadline = Date.now() + 30_000;
    const missing = () =>
      expectations.filter(
        ({ terminal, line }) => !terminals.get(terminal)?.stdout.split("\n").includes(line),
      );
    while (missing().length > 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    // Ctrl-C only where the README says to press it: the other commands must exit by themselves, and a signal that
    // reaches one while it is already exiting would kill it (its Ctrl-C handler is gone by then).
    const running = launched
      .filter(({ step, shell }) => step.ctrlC && shell.child.exitCode === null)
      .map(({ shell }) => shell);
    for (const shell of running) shell.child.kill("SIGINT");
    const results = await Promise.all([...terminals.values()].flatMap((t) => t.processes.map((p) => p.done)));

    // Assess
    expect(steps.map((step) => step.command)).toEqual([
      "util/connect --local",
      `util/send-data --local '{"hello":"world"}'`,
      "util/connect --local --broadcast hi --count 1",
    ]);
    expect(expectations.length).toBeGreaterThanOrEqual(3);
    expect(missing()).toEqual([]);
    expect(results.map((result) => result.code)).toEqual(results.map(() => 0));
    expect(running.length).toBeGreaterThanOrEqual(1);
    expect(results[0]?.stderr).toMatch(/^closed \(1000\)$/m);
  });
});

/** One command of the quick example, the terminal it runs in, and what its comment says terminals print. */
interface Step {
  terminal: number;
  command: string;
  expect: { terminal: number; line: string }[];
  /** Its comment says Ctrl-C closes it: it runs until interrupted. */
  ctrlC: boolean;
}

/**
 * Reads the quick example from the README: the fenced block between the `quick-example:local` markers. Each
 * command follows a comment `# terminal N: …`; a comment's "terminal N prints X" or "terminals N and M print X"
 * is what the test then expects on those terminals' stdout; a comment that mentions Ctrl-C marks a command that runs
 * until interrupted.
 */
function quickExampleSteps(readme: string): Step[] {
  const block = /<!-- quick-example:local -->\s*```sh\n([\s\S]*?)```\s*<!-- \/quick-example:local -->/.exec(
    readme,
  );
  if (!block?.[1]) throw new Error("README.md has no ```sh block between the quick-example:local markers");
  const steps: Step[] = [];
  let comment = "";
  for (const line of block[1].split("\n")) {
    if (line.startsWith("#")) {
      comment = line;
    } else if (line.trim() !== "") {
      const terminal = /^# terminal (\d+):/.exec(comment)?.[1];
      if (terminal === undefined) throw new Error(`no "# terminal N:" comment before: ${line}`);
      const expect = [...comment.matchAll(/terminals? ((?:\d+(?:, | and )?)+) prints? (\S+)/g)].flatMap(
        (match) =>
          (match[1]?.match(/\d+/g) ?? []).map((n) => ({ terminal: Number(n), line: match[2] as string })),
      );
      steps.push({
        terminal: Number(terminal),
        command: line.trim(),
        expect,
        ctrlC: comment.includes("Ctrl-C"),
      });
      comment = "";
    }
  }
  return steps;
}

/**
 * Runs a README line as a shell would, from the repository root, with stdin open like a terminal's. Settles when
 * the command exits or, for a client that stays connected, once its session is open.
 */
function spawnShell(command: string, onStdout: (chunk: string) => void) {
  const child = spawn("bash", ["-c", command], { cwd: repoRoot, env: local.env, stdio: "pipe" });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    onStdout(chunk);
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
  const settled = new Promise<void>((resolve) => {
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      if (/^connected to /m.test(stderr)) resolve();
    });
    void done.then(() => resolve());
  });
  local.afterTest(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await done;
  });
  return { child, done, settled };
}
