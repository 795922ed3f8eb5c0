import { writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import {
  ListSubscriptionsByTopicCommand,
  type SNSClient,
  SubscribeCommand,
  UnsubscribeCommand,
} from "@aws-sdk/client-sns";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stackFrom } from "../../util/lib/stack.js";
import { newContext } from "../../util/verification/context.js";
import { runSteps, type StepResult } from "../../util/verification/runner.js";
import { VERIFY_STEPS } from "../../util/verification/steps.js";
import { stackTarget } from "../../util/verification/target.js";
import { snsClient, startTestStack, type TestStack } from "../support/stack.js";
import { cliEnv, runCliToEnd, tempDir } from "./support/run.js";

/** The steps in the order util/verify prints them. */
const STEPS = [
  "token",
  "connect",
  "ping",
  "refused",
  "broadcast",
  "channel",
  "history",
  "sns",
  "sns-channel",
  "cleanup",
];

/** The step lines of a run's output: step name and status, in order. */
function statuses(stdout: string): Array<[string, string]> {
  return [...stdout.matchAll(/^(PASS|FAIL|SKIP) {2}(\S+)/gm)].map((m) => [m[2] as string, m[1] as string]);
}

describe("util/verify --local against a local stack (token mode, as npm start runs it)", () => {
  let stack: TestStack;
  let home: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    stack = await startTestStack();
    home = tempDir();
    env = cliEnv(home, { FANOUT_LOCAL_OUTPUTS: join(stack.stateDir, "outputs.json") });
  });

  afterAll(async () => {
    await stack?.dispose();
    await rm(home, { recursive: true, force: true });
  });

  it("passes every step and exits 0, in a few seconds", async () => {
    // Prepare / Act
    const result = await runCliToEnd("verify", ["--local"], env);

    // Assess
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(statuses(result.stdout)).toEqual(STEPS.map((step) => [step, "PASS"]));
    expect(result.stdout).toMatch(
      /^PASS {2}refused +a connection without a token, and one with a valid token twice, were refused with HTTP 401/m,
    );
    expect(result.stdout).toMatch(/^10 passed, 0 failed, 0 skipped in [\d.]+ m?s$/m);
    expect(result.stderr).toBe("");
  });

  it("with a secret that is not the stack's: the token is minted, connect FAILs with the 401, exit 1", async () => {
    // Prepare
    const wrong = { FANOUT_TOKEN_SECRET: "not-the-stack-secret-but-long-enough-0123456789" };

    // Act
    const result = await runCliToEnd("verify", ["--local"], { ...env, ...wrong });

    // Assess
    expect(result.code).toBe(1);
    expect(statuses(result.stdout).slice(0, 3)).toEqual([
      ["token", "PASS"],
      ["connect", "FAIL"],
      ["ping", "SKIP"],
    ]);
    expect(result.stdout).toMatch(
      /^FAIL {2}connect +client A: the handshake was refused with HTTP 401: the stack refused the token/m,
    );
    expect(result.stdout).toMatch(
      /^ {6}look at: util\/tail-logs --local --since 5m \(the access log alone: .*access\.log\)$/m,
    );
    expect(result.stdout).toMatch(/^1 passed, 1 failed, 8 skipped in /m);
  });

  it("a step that gets no answer FAILs at its --timeout (the function unsubscribed from the topic: sns)", async () => {
    // Prepare: SNS accepts publishes but reaches no function, as after an Unsubscribe on AWS
    const sns: SNSClient = snsClient(stack);
    const TopicArn = stack.outputs.input_sns_topic_arn;
    const [subscription] =
      (await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }))).Subscriptions ?? [];
    await sns.send(new UnsubscribeCommand({ SubscriptionArn: subscription?.SubscriptionArn }));

    // Act
    const started = Date.now();
    const result = await runCliToEnd("verify", ["--local", "--timeout", "2s"], env).finally(async () => {
      await sns.send(
        new SubscribeCommand({ TopicArn, Protocol: "lambda", Endpoint: subscription?.Endpoint }),
      );
      sns.destroy();
    });

    // Assess
    expect(result.code).toBe(1);
    expect(statuses(result.stdout)).toEqual([
      ...STEPS.slice(0, 7).map((step) => [step, "PASS"]),
      ["sns", "FAIL"],
      ["sns-channel", "FAIL"],
      ["cleanup", "PASS"],
    ]);
    expect(result.stdout).toMatch(
      /^FAIL {2}sns +client A: no SNS message \S+ in time; received nothing \([\d.]+ s\)$/m,
    );
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it("cleanup FAILs, naming the key, when one of the clients' keys is still in the bucket", async () => {
    // Prepare: the real stack, seen through a bucket listing that keeps a reverse-index key of every connection
    const stackOfCli = stackFrom({ local: true, outputs: join(stack.stateDir, "outputs.json") });
    const { target, release } = await stackTarget(stackOfCli, {});
    const listKeys = target.listKeys;
    target.listKeys = async (prefix, signal) => {
      const keys = await listKeys(prefix, signal);
      return prefix.startsWith("connection-channels/") ? [...keys, `${prefix}left-over`] : keys;
    };
    const results: StepResult[] = [];

    // Act
    await runSteps(VERIFY_STEPS, newContext(target), 2000, (result) => results.push(result)).finally(release);

    // Assess
    const cleanup = results.find((result) => result.name === "cleanup");
    expect(cleanup?.status).toBe("fail");
    expect(cleanup?.detail).toMatch(
      /^A and B closed, but 2 of their keys are still in the bucket: connection-channels\/\S+\/left-over, /,
    );
    expect(results.filter((result) => result.status !== "pass").map((result) => result.name)).toEqual([
      "cleanup",
    ]);
  });
});

describe("util/verify against an open stack without history, then the same stack stopped", () => {
  let stack: TestStack;
  let home: string;
  let env: NodeJS.ProcessEnv;
  /** The stack's outputs saved as a user saves `terraform output -json`: no pid, read with --outputs. */
  let saved: string;

  beforeAll(async () => {
    stack = await startTestStack({ authMode: "open", lambdaEnv: { HISTORY_CHANNELS: "" } });
    home = tempDir();
    env = cliEnv(home);
    saved = join(home, "outputs.json");
    const { pid: _pid, ...outputs } = stack.outputs;
    writeFileSync(saved, JSON.stringify(outputs));
  });

  afterAll(async () => {
    await stack?.dispose();
    await rm(home, { recursive: true, force: true });
  });

  it("skips token, refused and history with the reason, passes the rest, exit 0", async () => {
    // Prepare / Act
    const result = await runCliToEnd("verify", ["--local", "--outputs", saved], env);

    // Assess
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(statuses(result.stdout)).toEqual(
      STEPS.map((step) => [step, ["token", "refused", "history"].includes(step) ? "SKIP" : "PASS"]),
    );
    expect(result.stdout).toMatch(
      /^SKIP {2}token +the stack is open \(auth_mode open\): clients connect without a token$/m,
    );
    expect(result.stdout).toMatch(
      /^SKIP {2}history +the stack keeps no history of fanout-verify\/\w+\/a: its frames carry no position/m,
    );
  });

  it("once the stack is stopped: connect FAILs (nothing listens), the rest is skipped, exit 1", async () => {
    // Prepare
    await stack.stop();

    // Act
    const result = await runCliToEnd("verify", ["--local", "--outputs", saved, "--timeout", "3s"], env);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^FAIL {2}connect +client A cannot connect to ws:\/\/127\.0\.0\.1:\d+\/local: ECONNREFUSED/m,
    );
    expect(result.stdout).toMatch(/^ {6}look at: is the ws_url output right, and is the stack running/m);
    expect(statuses(result.stdout).filter(([, status]) => status === "FAIL")).toEqual([["connect", "FAIL"]]);
  });
});
