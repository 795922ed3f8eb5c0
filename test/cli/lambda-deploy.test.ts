import { createHash } from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { GetFunctionCommand, LambdaClient, UpdateFunctionCodeCommand } from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { CliError } from "../../util/lib/cli.js";
import { updateFunctionCode, updateFunctionCodeInput } from "../../util/lib/lambda-deploy.js";
import { cliEnv, runCliToEnd, tempDir } from "./support/run.js";
import { writeTerraformOutputsFile } from "./support/terraform.js";

const lambdaMock = mockClient(LambdaClient);
afterEach(() => lambdaMock.reset());

const ZIP = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]);
const SHA = "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq8M=";

function client(): LambdaClient {
  return new LambdaClient({ region: "eu-west-1", credentials: { accessKeyId: "a", secretAccessKey: "s" } });
}

describe("updateFunctionCodeInput", () => {
  it("sends the zip inline and publishes only when asked", () => {
    // Prepare / Act
    const plain = updateFunctionCodeInput("fanout-default", ZIP, false);
    const published = updateFunctionCodeInput("fanout-default", ZIP, true);

    // Assess
    expect(plain).toEqual({ FunctionName: "fanout-default", ZipFile: ZIP, Publish: false });
    expect(published.Publish).toBe(true);
  });
});

describe("updateFunctionCode", () => {
  it("updates the code, waits for LastUpdateStatus Successful, and returns the new version and hash", async () => {
    // Prepare: the update is in progress on the first check, done on the second
    lambdaMock.on(UpdateFunctionCodeCommand).resolves({
      FunctionName: "fanout-default",
      Version: "7",
      CodeSha256: SHA,
      CodeSize: ZIP.byteLength,
      LastUpdateStatus: "InProgress",
    });
    lambdaMock
      .on(GetFunctionCommand)
      .resolvesOnce({ Configuration: { LastUpdateStatus: "InProgress" } })
      .resolves({ Configuration: { LastUpdateStatus: "Successful", Version: "$LATEST", CodeSha256: SHA } });

    // Act
    const update = await updateFunctionCode(client(), "fanout-default", ZIP, {
      publish: true,
      minDelaySeconds: 1,
    });

    // Assess
    expect(update).toEqual({ version: "7", codeSha256: SHA, codeSize: ZIP.byteLength });
    const [call] = lambdaMock.commandCalls(UpdateFunctionCodeCommand);
    expect(call?.args[0].input).toEqual({ FunctionName: "fanout-default", ZipFile: ZIP, Publish: true });
    const checks = lambdaMock.commandCalls(GetFunctionCommand).map((c) => c.args[0].input);
    expect(checks).toEqual([{ FunctionName: "fanout-default" }, { FunctionName: "fanout-default" }]);
  });

  it("reports Lambda's reason when the update fails", async () => {
    // Prepare
    lambdaMock.on(UpdateFunctionCodeCommand).resolves({ Version: "$LATEST", CodeSha256: SHA });
    lambdaMock.on(GetFunctionCommand).resolves({
      Configuration: {
        LastUpdateStatus: "Failed",
        LastUpdateStatusReason: "Unzipped size must be smaller than 262144000 bytes",
      },
    });

    // Act
    const result = updateFunctionCode(client(), "fanout-default", ZIP);

    // Assess
    await expect(result).rejects.toThrow(CliError);
    await expect(result).rejects.toThrow(
      "the update of fanout-default did not succeed: LastUpdateStatus Failed: Unzipped size must be smaller than 262144000 bytes",
    );
  });

  it("says when waiting took too long", async () => {
    // Prepare
    lambdaMock.on(UpdateFunctionCodeCommand).resolves({ Version: "$LATEST", CodeSha256: SHA });
    lambdaMock.on(GetFunctionCommand).resolves({ Configuration: { LastUpdateStatus: "InProgress" } });

    // Act
    const result = updateFunctionCode(client(), "fanout-default", ZIP, {
      maxWaitSeconds: 2,
      minDelaySeconds: 1,
    });

    // Assess
    await expect(result).rejects.toThrow("timed out waiting for LastUpdateStatus Successful");
  });

  it.each([
    [
      "ResourceNotFoundException",
      "function fanout-x does not exist: is the stack deployed (in this region)?",
    ],
    [
      "ResourceConflictException",
      "fanout-x is being updated already: wait a moment and run lambda-deploy again",
    ],
    ["AccessDeniedException", "not allowed to update fanout-x: denied"],
  ])("explains %s in one line", async (name, message) => {
    // Prepare
    const error = Object.assign(new Error("denied"), { name });
    lambdaMock.on(UpdateFunctionCodeCommand).rejects(error);

    // Act
    const result = updateFunctionCode(client(), "fanout-x", ZIP);

    // Assess
    await expect(result).rejects.toThrow(CliError);
    await expect(result).rejects.toThrow(message);
    expect(lambdaMock.commandCalls(GetFunctionCommand)).toHaveLength(0);
  });
});

describe("util/lambda-deploy against a stand-in Lambda API (--endpoint-url)", () => {
  let home: string;
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it("uploads the zip it built, waits for Successful, and prints the version and CodeSha256", async () => {
    // Prepare: Lambda's REST API as the SDK speaks it: UpdateFunctionCode is PUT .../functions/{name}/code with the
    // zip in base64, GetFunction is GET .../functions/{name}; the update is InProgress on the first check
    home = tempDir();
    const requests: { method: string; path: string; body: string }[] = [];
    let checks = 0;
    let receivedSha = "";
    server = createServer((request, response) => {
      let body = "";
      request.setEncoding("utf8").on("data", (chunk: string) => {
        body += chunk;
      });
      request.on("end", () => {
        requests.push({ method: request.method ?? "", path: request.url ?? "", body });
        response.setHeader("content-type", "application/json");
        if (request.method === "PUT") {
          const zip = Buffer.from((JSON.parse(body) as { ZipFile: string }).ZipFile, "base64");
          receivedSha = createHash("sha256").update(zip).digest("base64");
          response.end(
            JSON.stringify({ FunctionName: "fanout-default", Version: "$LATEST", CodeSha256: receivedSha }),
          );
          return;
        }
        checks += 1;
        const status = checks === 1 ? "InProgress" : "Successful";
        response.end(
          JSON.stringify({ Configuration: { LastUpdateStatus: status, CodeSha256: receivedSha } }),
        );
      });
    });
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const outputs = join(home, "outputs.json");
    writeTerraformOutputsFile(outputs, {
      lambda_function_name: "fanout-default",
      input_sns_topic_arn: "arn:aws:sns:eu-west-1:123456789012:fanout-default-input",
    });
    const env = cliEnv(home, { AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test" });
    const outDir = join(home, "dist");

    // Act
    const result = await runCliToEnd(
      "lambda-deploy",
      ["--outputs", outputs, "--endpoint-url", endpoint, "--out-dir", outDir],
      env,
    );

    // Assess
    expect(result.code, result.stderr).toBe(0);
    const builtSha = createHash("sha256")
      .update(readFileSync(join(outDir, "lambda.zip")))
      .digest("base64");
    expect(receivedSha).toBe(builtSha);
    expect(result.stdout).toBe(`updated fanout-default: version $LATEST, CodeSha256 ${builtSha}\n`);
    expect(requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "PUT /2015-03-31/functions/fanout-default/code",
      "GET /2015-03-31/functions/fanout-default",
      "GET /2015-03-31/functions/fanout-default",
    ]);
    expect(JSON.parse(requests[0]?.body ?? "{}").Publish).toBe(false);
  });
});
