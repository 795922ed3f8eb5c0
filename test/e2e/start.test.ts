import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import type { LocalStackOutputs } from "../../src/contract/index.js";
import { repoRoot } from "../../util/lib/repo.js";
import { signTestToken } from "../support/stack.js";
import { WAIT_MS } from "../support/wait.js";
import { Client } from "../support/ws-client.js";

/** `npm start` without npm: the same script, so signals reach it directly. */
const TSX = join(repoRoot, "node_modules/.bin/tsx");
const MAIN = join(repoRoot, "util/local-stack/main.ts");

interface Run {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<number | null>;
}

function start(args: string[]): Run {
  // Its own process group, so that cleanup reaches tsx's node child and the Lambda environments too.
  const child = spawn(TSX, [MAIN, ...args], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const run: Run = {
    child,
    stdout: "",
    stderr: "",
    exited: new Promise((r) => child.on("exit", (code) => r(code))),
  };
  child.stdout?.on("data", (chunk: Buffer) => {
    run.stdout += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    run.stderr += chunk.toString();
  });
  return run;
}

async function waitFor(run: Run, text: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!run.stdout.includes(text)) {
    if (Date.now() > deadline || run.child.exitCode !== null) {
      throw new Error(`no "${text}" in: ${run.stdout} ${run.stderr}`);
    }
    await sleep(50);
  }
}

describe("npm start (util/local-stack/main.ts), run as a user runs it", () => {
  const runs: Run[] = [];
  const dirs: string[] = [];

  afterEach(async () => {
    for (const run of runs.splice(0)) {
      if (run.child.exitCode === null && run.child.pid) process.kill(-run.child.pid, "SIGKILL");
    }
    await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  it("says where it listens, writes outputs.json, refuses a second start on its state folder, and stops on SIGTERM with a last stopped line", async () => {
    // Prepare
    const stateDir = await mkdtemp(join(tmpdir(), "fanout-start-"));
    dirs.push(stateDir);
    const run = start(["--gateway-port", "0", "--emulator-port", "0", "--state-dir", stateDir]);
    runs.push(run);
    await waitFor(run, "Ctrl-C to stop.");
    const outputs = JSON.parse(await readFile(join(stateDir, "outputs.json"), "utf8")) as LocalStackOutputs;
    const secret = (await readFile(outputs.token_secret_file as string, "utf8")).trim();
    const secretMode = (await stat(outputs.token_secret_file as string)).mode & 0o777;
    const client = await Client.connect(`${outputs.ws_url}?token=${signTestToken(secret, {})}`);
    const gatewayPort = new URL(outputs.ws_url).port;

    // Act
    const second = start(["--gateway-port", gatewayPort, "--emulator-port", "0", "--state-dir", stateDir]);
    runs.push(second);
    const secondCode = await second.exited;
    run.child.kill("SIGTERM");
    const closed = await client.closed;
    const code = await run.exited;

    // Assess
    expect(run.stdout).toContain(`WebSocket     ${outputs.ws_url}`);
    expect(run.stdout).toContain(`@connections  ${outputs.management_endpoint}/@connections/{connectionId}`);
    expect(Object.keys(outputs).sort()).toEqual(
      [
        "access_log_file",
        "api_gw_log_group",
        "auth_mode",
        "connection_bucket",
        "connection_prefix",
        "input_sns_topic_arn",
        "lambda_function_name",
        "lambda_log_file",
        "lambda_log_group",
        "management_endpoint",
        "pid",
        "region",
        "s3_endpoint",
        "shard_dead_letter_queue_url",
        "sns_endpoint",
        "sqs_endpoint",
        "token_secret_arn",
        "token_secret_file",
        "ws_url",
      ].sort(),
    );
    expect(outputs.auth_mode).toBe("token");
    expect(outputs.token_secret_file).toBe(join(stateDir, "token-secret"));
    expect(secretMode).toBe(0o600);
    expect(run.stdout).toContain("Auth          tokens required");
    expect(outputs.ws_url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/local$/);
    expect(secondCode).toBe(1);
    expect(second.stderr.trim().split("\n")).toEqual([
      `npm start: the state folder ${stateDir} is in use by another local stack (pid ${outputs.pid}): stop it, or pass --state-dir with another folder`,
    ]);
    expect(run.stdout.trim().split("\n").at(-1)).toBe("fanout local stack stopped");
    expect(closed.code).toBe(1001);
    expect(code).toBe(0);
    expect(run.stdout).toContain("gateway CONNECT    $connect 200");
  });

  it("prints its help with exit 0, and a usage error with exit 2", async () => {
    // Prepare
    const help = start(["--help"]);
    const bad = start(["--gateway-port", "http"]);
    runs.push(help, bad);

    // Act
    const [helpCode, badCode] = await Promise.all([help.exited, bad.exited]);

    // Assess
    expect(helpCode).toBe(0);
    expect(help.stdout).toContain("--gateway-port PORT");
    expect(badCode).toBe(2);
    expect(bad.stderr).toContain('--gateway-port must be an integer from 0 to 65535, got "http"');
    expect(bad.stderr).toContain("npm start -- --help");
  });
});
