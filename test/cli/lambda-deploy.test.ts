import { GetFunctionCommand, LambdaClient, UpdateFunctionCodeCommand } from "@aws-sdk/client-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { CliError } from "../../util/lib/cli.js";
import { updateFunctionCode, updateFunctionCodeInput } from "../../util/lib/lambda-deploy.js";

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
