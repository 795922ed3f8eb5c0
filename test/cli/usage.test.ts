import { existsSync, rmSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer, type Socket } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_MESSAGE_BYTES } from "../../src/contract/index.js";
import type { ProcessResult } from "../../util/lib/cli.js";
import { type CliName, cliEnv, runCliToEnd, tempDir } from "./support/run.js";
import { writeTerraformOutputsFile } from "./support/terraform.js";

/** Every CLI of this part, and the arguments that make it need a stack. */
const CLIS: Record<CliName, string[]> = {
  "send-data": ['{"hello":"world"}'],
  connect: [],
  "tail-logs": [],
  "lambda-deploy": [],
  token: ["--sub", "cli"],
  verify: [],
};
const names = Object.keys(CLIS) as CliName[];

let home: string;
let env: NodeJS.ProcessEnv;
let awsOutputs: string;
beforeAll(() => {
  home = tempDir();
  env = cliEnv(home);
  awsOutputs = join(home, "outputs.json");
  writeTerraformOutputsFile(awsOutputs, {
    ws_url: "wss://abc123.execute-api.eu-west-1.amazonaws.com/prod",
    lambda_function_name: "fanout-default",
    input_sns_topic_arn: "arn:aws:sns:eu-west-1:123456789012:fanout-default-input",
    lambda_log_group: "/aws/lambda/fanout-default",
    api_gw_log_group: "/aws/apigateway/fanout-default",
  });
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** A failure the user can act on: exactly one line on stderr, no stack trace. */
function expectOneLine(result: ProcessResult, code: number, message: RegExp | string): void {
  expect(result.code, result.stderr).toBe(code);
  const lines = result.stderr.trimEnd().split("\n");
  expect(lines[0]).toMatch(message);
  expect(result.stderr).not.toMatch(/^\s+at /m);
}

describe.each(names)("util/%s", (name) => {
  it("explains itself with --help and an example, exit 0", async () => {
    // Prepare / Act
    const result = await runCliToEnd(name, ["--help"], env);

    // Assess
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Usage: util/${name}`);
    expect(result.stdout).toContain("Example");
    expect(result.stderr).toBe("");
  });

  it("refuses an unknown flag with exit 2 and points at --help", async () => {
    // Prepare / Act
    const result = await runCliToEnd(name, ["--nope"], env);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("Unknown option '--nope'");
    expect(result.stderr).toContain(`Run 'util/${name} --help' for usage.`);
  });

  it("says to deploy first when there is no deployed stack, exit 1", async () => {
    // Prepare
    const missing = join(home, "cdktf.out/stacks/fanout");

    // Act
    const result = await runCliToEnd(name, [...CLIS[name], "--stack-dir", missing], env);

    // Assess
    expectOneLine(result, 1, `${name}: no synthesized stack in ${missing}: deploy first: npm run synth`);
  });

  it("says to run npm start first when there is no local stack", async () => {
    // Prepare / Act
    const result = await runCliToEnd(name, [...CLIS[name], "--local"], env);

    // Assess
    if (name === "lambda-deploy") {
      // The local stack runs the working tree's bundle: there is nothing to deploy to.
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(
        "--local: the local stack builds the bundle from the working tree when it starts",
      );
    } else {
      expectOneLine(
        result,
        1,
        /no local stack outputs at .*no-local-stack\/outputs\.json: run `npm start` first/,
      );
    }
  });
});

describe("usage errors specific to each CLI (exit 2, nothing sent)", () => {
  it.each([
    ["send-data", ["--local", "{nope"], /the payload is not JSON/],
    ["send-data", ["--local", "a", "b"], /give one JSON payload/],
    ["send-data", ["--local"], /the payload is empty/],
    ["send-data", ["--local", "--attribute", "novalue", "{}"], /write it as key=value/],
    ["send-data", ["--local", "--channel", "news//x", "{}"], /--channel: .*has a doubled "\/"/],
    ["send-data", ["--local", "--channel", "news/*", "{}"], /--channel: .*contains "\*"/],
    [
      "send-data",
      ["--local", "--attribute", "channel=news", "{}"],
      /give the channel as --channel news, not --attribute channel=/,
    ],
    ["connect", ["--local", "--count", "0"], /--count 0: give a positive whole number/],
    ["connect", ["--local", "--env", "dev"], /--local cannot be combined with --env/],
    [
      "connect",
      ["--local", "--publish", "news"],
      /--publish news needs a message: --publish CHANNEL MESSAGE/,
    ],
    ["connect", ["--local", "stray"], /unexpected argument "stray": a message goes right after --publish/],
    ["connect", ["--local", "--token", ""], /--token is empty/],
    ["tail-logs", ["--local", "--since", "soon"], /--since soon: give a relative time/],
    ["send-data", ["--local", "--timeout", "soon", "{}"], /--timeout soon: give a duration such as 500ms/],
    ["connect", ["--local", "--timeout", "0s"], /--timeout 0s: give a duration such as 500ms/],
    ["tail-logs", ["--local", "--timeout", "1.5d"], /--timeout 1.5d: give a duration such as 500ms/],
    ["lambda-deploy", ["--timeout", "1y"], /--timeout 1y: give a duration such as 500ms/],
    ["lambda-deploy", ["dev", "prod"], /give at most one ENV/],
    ["lambda-deploy", ["dev", "--env", "prod"], /ENV dev and --env prod disagree/],
  ] as [CliName, string[], RegExp][])("util/%s %j", async (name, args, message) => {
    // Prepare / Act
    const result = await runCliToEnd(name, args, env);

    // Assess
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toMatch(message);
  });

  it("send-data refuses a payload over 128 KB on stdin before reading any stack", async () => {
    // Prepare
    const payload = JSON.stringify({ big: "x".repeat(MAX_MESSAGE_BYTES) });

    // Act
    const result = await runCliToEnd("send-data", ["--local"], env, payload);

    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /the payload is \d+ bytes, over the 131072-byte \(128 KB\) WebSocket message limit/,
    );
  });
});

describe("on AWS without credentials (exit 1, one line)", () => {
  it.each([
    ["send-data", ['{"hello":"world"}']],
    ["tail-logs", []],
    ["lambda-deploy", []],
  ] as [CliName, string[]][])("util/%s says how to configure them", async (name, args) => {
    // Prepare / Act
    const result = await runCliToEnd(name, [...args, "--outputs", awsOutputs], env);

    // Assess
    expectOneLine(result, 1, `${name}: no AWS credentials found: run \`aws configure\``);
  });
});

describe("--timeout against an endpoint that accepts connections and never answers", () => {
  it("util/send-data gives up after the timeout: one line, exit 1", async () => {
    // Prepare: a TCP server that holds every connection open, silent
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as AddressInfo).port;
    const outputs = join(home, "silent-outputs.json");
    const topic = "arn:aws:sns:us-east-1:000000000000:silent";
    writeFileSync(
      outputs,
      JSON.stringify({
        region: "us-east-1",
        input_sns_topic_arn: topic,
        sns_endpoint: `http://127.0.0.1:${port}`,
      }),
    );

    // Act
    let result: Awaited<ReturnType<typeof runCliToEnd>>;
    try {
      result = await runCliToEnd(
        "send-data",
        ["--local", "--outputs", outputs, "--timeout", "500ms", "{}"],
        env,
      );
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }

    // Assess
    expectOneLine(result, 1, `send-data: the publish to ${topic} did not finish within 500 ms (--timeout)`);
  });
});

describe("util/lambda-deploy --dry-run", () => {
  it("builds the bundle and names the function and region from the outputs, without calling AWS", async () => {
    // Prepare
    const outDir = join(home, "dist");

    // Act
    const result = await runCliToEnd(
      "lambda-deploy",
      ["--outputs", awsOutputs, "--out-dir", outDir, "--dry-run"],
      env,
    );

    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^built .*lambda\.zip: \d+ bytes \(bundle \d+ bytes\), sha256 \S+=$/m);
    expect(result.stdout).toMatch(/^would update fanout-default \(region eu-west-1\) with .*lambda\.zip$/m);
    expect(existsSync(join(outDir, "lambda.zip"))).toBe(true);
  });
});
