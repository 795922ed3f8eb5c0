import {
  type LambdaClient,
  UpdateFunctionCodeCommand,
  type UpdateFunctionCodeCommandInput,
  type UpdateFunctionCodeCommandOutput,
  waitUntilFunctionUpdatedV2,
} from "@aws-sdk/client-lambda";
import { CliError } from "./cli.js";

/** What the function runs after {@link updateFunctionCode}. */
export interface CodeUpdate {
  /** `$LATEST`, or the version number published with the code. */
  version: string;
  /** Base64 SHA-256 of the deployed zip, as Lambda computed it. */
  codeSha256: string;
  /** Size of the deployed zip in bytes. */
  codeSize: number;
}

/** Options of {@link updateFunctionCode}. */
export interface UpdateOptions {
  /** Publish a numbered version of the new code. */
  publish?: boolean;
  /** Give up waiting for the update after this many seconds. */
  maxWaitSeconds?: number;
  /** The waiter's first pause between checks (seconds); tests shorten it. */
  minDelaySeconds?: number;
  /** Ends the upload and the wait (a CLI's `--timeout`). */
  abortSignal?: AbortSignal;
}

/**
 * The UpdateFunctionCode request for a zip: the code inline (a zip up to 50 MB needs no S3 bucket; ours is
 * about 140 KB), published as a version only when asked.
 * @param functionName - the function's name or ARN
 * @param zip - the deployment package
 * @param publish - publish a numbered version
 */
export function updateFunctionCodeInput(
  functionName: string,
  zip: Uint8Array,
  publish: boolean,
): UpdateFunctionCodeCommandInput {
  return { FunctionName: functionName, ZipFile: zip, Publish: publish };
}

/**
 * Replaces a function's code and waits until Lambda reports the update Successful (the SDK's
 * `waitUntilFunctionUpdatedV2`, which polls GetFunction's LastUpdateStatus): until then invocations still run the
 * old code and a second update is refused with ResourceConflictException.
 * @param lambda - the Lambda client
 * @param functionName - the function's name or ARN
 * @param zip - the deployment package
 * @param options - see {@link UpdateOptions}
 */
export async function updateFunctionCode(
  lambda: LambdaClient,
  functionName: string,
  zip: Uint8Array,
  options: UpdateOptions = {},
): Promise<CodeUpdate> {
  let updated: UpdateFunctionCodeCommandOutput;
  try {
    updated = await lambda.send(
      new UpdateFunctionCodeCommand(updateFunctionCodeInput(functionName, zip, options.publish === true)),
      { abortSignal: options.abortSignal },
    );
  } catch (error) {
    throw explainLambdaError(error, functionName);
  }
  try {
    await waitUntilFunctionUpdatedV2(
      {
        client: lambda,
        maxWaitTime: options.maxWaitSeconds ?? 300,
        minDelay: options.minDelaySeconds ?? 1,
        abortSignal: options.abortSignal,
      },
      { FunctionName: functionName },
    );
  } catch (error) {
    throw new CliError(`the update of ${functionName} did not succeed: ${waiterReason(error)}`);
  }
  return {
    version: updated.Version ?? "$LATEST",
    codeSha256: updated.CodeSha256 ?? "",
    codeSize: updated.CodeSize ?? zip.byteLength,
  };
}

/** Lambda's refusals, in words that point at the fix. */
function explainLambdaError(error: unknown, functionName: string): unknown {
  if (!(error instanceof Error)) return error;
  switch (error.name) {
    case "ResourceNotFoundException":
      return new CliError(`function ${functionName} does not exist: is the stack deployed (in this region)?`);
    case "ResourceConflictException":
      return new CliError(
        `${functionName} is being updated already: wait a moment and run lambda-deploy again`,
      );
    case "AccessDeniedException":
      return new CliError(`not allowed to update ${functionName}: ${error.message}`);
    default:
      return error;
  }
}

/**
 * Why the waiter gave up. It throws an Error whose message is JSON with `state` and `reason` (the last GetFunction
 * answer); the function's LastUpdateStatusReason says what Lambda disliked.
 */
function waiterReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  try {
    const parsed = JSON.parse(message) as {
      state?: string;
      reason?: {
        Configuration?: { LastUpdateStatus?: string; LastUpdateStatusReason?: string };
        message?: string;
      };
    };
    const configuration = parsed.reason?.Configuration;
    if (configuration?.LastUpdateStatus) {
      return `LastUpdateStatus ${configuration.LastUpdateStatus}${
        configuration.LastUpdateStatusReason ? `: ${configuration.LastUpdateStatusReason}` : ""
      }`;
    }
    return parsed.state === "TIMEOUT" ? "timed out waiting for LastUpdateStatus Successful" : message;
  } catch {
    return message;
  }
}
