import { spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { regionOf } from "../../util/lib/aws.js";
import { CliError, UsageError } from "../../util/lib/cli.js";
import { parseOutputs, Stack, type TerraformRunner } from "../../util/lib/stack.js";
import { tempDir } from "./support/run.js";
import { hasTerraform, writeState, writeTerraformOutputsFile } from "./support/terraform.js";

const AWS_OUTPUTS = {
  ws_url: "wss://abc123.execute-api.eu-west-1.amazonaws.com/prod",
  lambda_function_name: "fanout-default",
  input_sns_topic_arn: "arn:aws:sns:eu-west-1:123456789012:fanout-default-input",
  lambda_log_group: "/aws/lambda/fanout-default",
  api_gw_log_group: "/aws/apigateway/fanout-default",
  management_endpoint: "https://abc123.execute-api.eu-west-1.amazonaws.com/prod",
  connection_bucket: "fanout-default-connections",
};

const dirs: string[] = [];
function scratch(): string {
  const dir = tempDir();
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("Stack on AWS (Terraform outputs)", () => {
  it(`reads every output of an applied stack (${hasTerraform ? "real terraform output -json" : "outputs file: no terraform on PATH"})`, async () => {
    // Prepare
    const dir = scratch();
    writeState(dir, AWS_OUTPUTS);
    writeTerraformOutputsFile(join(dir, "outputs.json"), AWS_OUTPUTS);
    const stack = new Stack(hasTerraform ? { stackDir: dir } : { outputs: join(dir, "outputs.json") });

    // Act
    const outputs = await stack.all();

    // Assess
    expect(outputs).toEqual(AWS_OUTPUTS);
    expect(regionOf(outputs)).toBe("eu-west-1");
  });

  it(`reads the workspace given with --env (${hasTerraform ? "real terraform" : "outputs file: no terraform on PATH"})`, async () => {
    // Prepare: default and dev workspaces with different URLs
    const dir = scratch();
    const dev = { ...AWS_OUTPUTS, ws_url: "wss://dev999.execute-api.us-east-2.amazonaws.com/dev" };
    writeState(dir, AWS_OUTPUTS);
    writeState(dir, dev, "dev");
    writeTerraformOutputsFile(join(dir, "dev.json"), dev);
    const stack = new Stack(
      hasTerraform ? { stackDir: dir, env: "dev" } : { outputs: join(dir, "dev.json") },
    );

    // Act
    const url = await stack.require("ws_url");

    // Assess
    expect(url).toBe(dev.ws_url);
  });

  it("passes the workspace to terraform as TF_WORKSPACE and runs it in the stack folder", async () => {
    // Prepare
    const dir = scratch();
    const calls: { args: string[]; cwd: string; workspace: string | undefined }[] = [];
    const runner: TerraformRunner = async (args, cwd, env) => {
      calls.push({ args, cwd, workspace: env.TF_WORKSPACE });
      return { code: 0, stdout: JSON.stringify({ ws_url: { value: "wss://x" } }), stderr: "" };
    };

    // Act
    await new Stack({ stackDir: dir, env: "staging" }, runner).all();

    // Assess
    expect(calls).toEqual([{ args: ["output", "-json", "-no-color"], cwd: dir, workspace: "staging" }]);
  });

  it("says to deploy when the workspace has no outputs (never applied, or unknown workspace)", async () => {
    // Prepare: a stack folder with no state at all
    const dir = scratch();
    const runner: TerraformRunner = async () => ({ code: 0, stdout: "{}\n", stderr: "" });
    const stack = new Stack({ stackDir: dir, env: "nope" }, hasTerraform ? undefined : runner);

    // Act
    const result = stack.all();

    // Assess
    await expect(result).rejects.toThrow(CliError);
    await expect(result).rejects.toThrow(/no outputs in .*workspace nope.*deploy first: npm run synth/);
  });

  it("says to deploy when the stack folder does not exist", async () => {
    // Prepare
    const stack = new Stack({ stackDir: join(scratch(), "cdktf.out/stacks/fanout") });

    // Act
    const result = stack.all();

    // Assess
    await expect(result).rejects.toThrow(
      /no synthesized stack in .*cdktf\.out\/stacks\/fanout: deploy first/,
    );
  });

  it("reports terraform's own error line when it fails", async () => {
    // Prepare: what terraform prints for a synthesized stack that was never initialised
    const stderr = [
      "\u2577",
      '\u2502 Error: Backend initialization required, please run "terraform init"',
      "\u2502 ",
      '\u2502 Reason: Initial configuration of the requested backend "local"',
      "\u2575",
    ].join("\n");
    const runner: TerraformRunner = async () => ({ code: 1, stdout: "", stderr });

    // Act
    const result = new Stack({ stackDir: scratch() }, runner).all();

    // Assess
    await expect(result).rejects.toThrow(
      /terraform output failed in .*\(Error: Backend initialization required, please run "terraform init"\): deploy first/,
    );
  });

  it("names a missing output and what to do", async () => {
    // Prepare
    const dir = scratch();
    writeFileSync(join(dir, "outputs.json"), JSON.stringify({ ws_url: "wss://x" }));

    // Act
    const result = new Stack({ outputs: join(dir, "outputs.json") }).require("input_sns_topic_arn");

    // Assess
    await expect(result).rejects.toThrow("output input_sns_topic_arn is missing from");
    await expect(result).rejects.toThrow("re-apply the current stack");
  });
});

describe("Stack for the local stack", () => {
  it("reads the flat outputs file with --local --outputs", async () => {
    // Prepare
    const dir = scratch();
    const file = join(dir, "outputs.json");
    writeFileSync(file, JSON.stringify({ ws_url: "ws://127.0.0.1:4510/local", region: "us-east-1" }));

    // Act
    const stack = new Stack({ local: true, outputs: file });

    // Assess
    expect(stack.local).toBe(true);
    expect(await stack.require("ws_url")).toBe("ws://127.0.0.1:4510/local");
  });

  it("says the local stack is not running when outputs.json names a process that is gone (SIGKILL)", async () => {
    // Prepare
    const dir = scratch();
    const file = join(dir, "outputs.json");
    const gone = spawnSync(process.execPath, ["-e", ""]).pid;
    writeFileSync(file, JSON.stringify({ ws_url: "ws://127.0.0.1:4510/local", pid: String(gone) }));

    // Act
    const result = new Stack({ local: true, outputs: file }).all();

    // Assess
    await expect(result).rejects.toThrow(/^the local stack is not running \(start it with npm start\)/);
  });

  it("says to run npm start when the local outputs are missing", async () => {
    // Prepare
    const previous = process.env.FANOUT_LOCAL_OUTPUTS;
    process.env.FANOUT_LOCAL_OUTPUTS = join(scratch(), "absent/outputs.json");

    try {
      // Act
      const result = new Stack({ local: true }).all();

      // Assess
      await expect(result).rejects.toThrow(
        /no local stack outputs at .*absent\/outputs\.json: run `npm start` first/,
      );
    } finally {
      if (previous === undefined) delete process.env.FANOUT_LOCAL_OUTPUTS;
      else process.env.FANOUT_LOCAL_OUTPUTS = previous;
    }
  });

  it.each([
    [{ local: true, env: "dev" }, /--local cannot be combined/],
    [{ local: true, stackDir: "x" }, /--local cannot be combined/],
    [{ outputs: "f", env: "dev" }, /--outputs FILE replaces --env/],
  ])("refuses the contradictory flags %j as a usage error", (options, message) => {
    // Prepare / Act
    const act = () => new Stack(options);

    // Assess
    expect(act).toThrow(UsageError);
    expect(act).toThrow(message);
  });
});

describe("parseOutputs", () => {
  it("reads both shapes and ignores values that are not strings", () => {
    // Prepare
    const terraform = JSON.stringify({ ws_url: { sensitive: false, type: "string", value: "wss://a" } });
    const flat = JSON.stringify({ ws_url: "wss://b", port: 4510, nested: { x: 1 } });

    // Act / Assess
    expect(parseOutputs(terraform, "t")).toEqual({ ws_url: "wss://a" });
    expect(parseOutputs(flat, "f")).toEqual({ ws_url: "wss://b" });
  });

  it.each(["not json", "[1]", "null"])("refuses %j with the source's name", (text) => {
    // Prepare / Act
    const act = () => parseOutputs(text, "my-file.json");

    // Assess
    expect(act).toThrow(/^my-file\.json is not/);
  });
});

describe("regionOf", () => {
  it("reads the region from the topic ARN, else from the API's host, else gives none", () => {
    // Prepare / Act / Assess
    expect(regionOf({ input_sns_topic_arn: "arn:aws:sns:ap-south-1:1:t" })).toBe("ap-south-1");
    expect(regionOf({ ws_url: "wss://id.execute-api.sa-east-1.amazonaws.com/prod" })).toBe("sa-east-1");
    expect(regionOf({ ws_url: "wss://ws.example.com/prod" })).toBeUndefined();
  });
});
