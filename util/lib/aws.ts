import { CliError } from "./cli.js";
import type { OutputName, Stack } from "./stack.js";

/** The `parseArgs` options for the AWS client of a CLI. */
export const awsArgs = {
  region: { type: "string" },
  "endpoint-url": { type: "string" },
} as const;

/** The help text of {@link awsArgs}. */
export const AWS_HELP = `AWS:
  --region REGION     default: the stack's region (from its outputs), else the SDK's ($AWS_REGION, profile)
  --endpoint-url URL  send the API calls to URL (default: the local emulator with --local, else AWS)
Credentials come from the SDK's usual chain (environment, AWS_PROFILE, SSO, instance role).`;

/** Static credentials, as the SDK clients accept them. */
interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** What a CLI passes to an AWS SDK client's constructor. */
export interface AwsClientConfig {
  region?: string;
  endpoint?: string;
  credentials?: StaticCredentials;
  /** Three attempts at most: a person is waiting, and the CLIs report failures rather than hide them. */
  maxAttempts: number;
}

/**
 * The emulator ignores credentials, but the SDK refuses to sign without any. When none are in the environment
 * we give it placeholders rather than walk the default chain, whose instance-metadata step waits on a network
 * that is not there.
 */
const PLACEHOLDER_CREDENTIALS: StaticCredentials = { accessKeyId: "local", secretAccessKey: "local" };

/**
 * Builds an SDK client configuration for a stack: with `--local`, the emulator endpoint and region from the local
 * outputs (and placeholder credentials if none are set); on AWS, the region the stack was deployed in, read from
 * its outputs, so that a user whose default region differs still reaches it.
 * @param stack - the stack to talk to
 * @param flags - `--region` and `--endpoint-url`, which win over everything
 * @param endpointOutput - the local output that holds this service's endpoint (`sns_endpoint`); none for services
 *   the local stack does not emulate
 */
export async function awsClientConfig(
  stack: Stack,
  flags: { region?: string; "endpoint-url"?: string },
  endpointOutput?: OutputName,
): Promise<AwsClientConfig> {
  const config: AwsClientConfig = { maxAttempts: 3 };
  if (stack.local) {
    config.region = flags.region ?? (await stack.require("region"));
    const endpoint =
      flags["endpoint-url"] ?? (endpointOutput ? await stack.require(endpointOutput) : undefined);
    if (endpoint !== undefined) config.endpoint = endpoint;
    if (!process.env.AWS_ACCESS_KEY_ID) config.credentials = PLACEHOLDER_CREDENTIALS;
    return config;
  }
  const region = flags.region ?? regionOf(await stack.all());
  if (region !== undefined) config.region = region;
  if (flags["endpoint-url"] !== undefined) config.endpoint = flags["endpoint-url"];
  return config;
}

/**
 * The region a deployed stack lives in, read from its outputs: the topic ARN (`arn:aws:sns:<region>:…`) or the
 * API's host (`<id>.execute-api.<region>.amazonaws.com`).
 * @param outputs - the stack's outputs
 */
export function regionOf(outputs: Partial<Record<OutputName, string>>): string | undefined {
  const fromArn = outputs.input_sns_topic_arn?.split(":")[3];
  if (fromArn) return fromArn;
  for (const url of [outputs.ws_url, outputs.management_endpoint]) {
    const match = url?.match(/\.execute-api\.([a-z0-9-]+)\.amazonaws\.com/);
    if (match?.[1]) return match[1];
  }
  return undefined;
}

/**
 * Turns the errors every AWS call can meet (no credentials, no region, nobody listening) into a one-line
 * {@link CliError} that says what to do; returns other errors unchanged for the caller to handle.
 * @param error - what the SDK threw
 * @param stack - the stack being reached, for the hint
 * @param endpoint - the endpoint being called, when known
 */
export function explainAwsError(error: unknown, stack: Stack, endpoint?: string): unknown {
  if (!(error instanceof Error)) return error;
  if (error.name === "CredentialsProviderError" || /Could not load credentials/.test(error.message)) {
    return new CliError(
      "no AWS credentials found: run `aws configure`, set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
    );
  }
  if (/Region is missing/i.test(error.message)) {
    return new CliError("no AWS region: pass --region or set AWS_REGION");
  }
  const code =
    (error as NodeJS.ErrnoException).code ?? (error.cause as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN") {
    const where = endpoint ?? "the AWS endpoint";
    return new CliError(
      stack.local
        ? `cannot reach the local stack at ${where} (${code}): is \`npm start\` still running?`
        : `cannot reach ${where} (${code}): check your network and region`,
    );
  }
  return error;
}
