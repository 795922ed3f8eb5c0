/**
 * The local stack's outputs: the keys of the deployed stack's Terraform outputs with local values, plus the local
 * endpoints, written to `<stateDir>/outputs.json` where the `util/` CLIs read them with `--local`.
 */
import { rename, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import {
  DEFAULT_CONNECTION_PREFIX,
  LOCAL_OUTPUTS_PATH,
  type LocalStackOutputs,
} from "../../../src/contract/index.js";

/** Where a stack of this state folder writes its outputs. */
export function outputsFile(stateDir: string): string {
  return join(stateDir, basename(LOCAL_OUTPUTS_PATH));
}

/** What the outputs are made of: the parts' addresses and names. */
interface OutputSources {
  host: string;
  stage: string;
  region: string;
  functionName: string;
  bucket: string;
  authMode: LocalStackOutputs["auth_mode"];
  gatewayPort: number;
  managementEndpoint: string;
  emulator: { endpoint: string; topicArn: string };
  shardDeadLetterQueueUrl: string;
  logFiles: { lambda: string; access: string };
  /** The token secret's file in token mode. */
  tokenSecretFile: string | undefined;
}

/** The outputs of a running stack. */
export function localOutputs(from: OutputSources): LocalStackOutputs {
  return {
    ws_url: `ws://${from.host}:${from.gatewayPort}/${from.stage}`,
    lambda_function_name: from.functionName,
    input_sns_topic_arn: from.emulator.topicArn,
    lambda_log_group: from.logFiles.lambda,
    api_gw_log_group: from.logFiles.access,
    management_endpoint: from.managementEndpoint,
    connection_bucket: from.bucket,
    sns_endpoint: from.emulator.endpoint,
    s3_endpoint: from.emulator.endpoint,
    sqs_endpoint: from.emulator.endpoint,
    region: from.region,
    connection_prefix: DEFAULT_CONNECTION_PREFIX,
    lambda_log_file: from.logFiles.lambda,
    access_log_file: from.logFiles.access,
    auth_mode: from.authMode,
    // No Secrets Manager here: the CLIs read token_secret_file instead.
    token_secret_arn: "",
    shard_dead_letter_queue_url: from.shardDeadLetterQueueUrl,
    ...(from.tokenSecretFile === undefined ? {} : { token_secret_file: from.tokenSecretFile }),
    // The CLIs check it: outputs left by a stack that was killed must not send them to a dead endpoint.
    pid: String(process.pid),
  };
}

/** Writes the outputs whole or not at all (a reader never sees half a file). */
export async function writeOutputs(stateDir: string, outputs: LocalStackOutputs): Promise<void> {
  const file = outputsFile(stateDir);
  await writeFile(`${file}.tmp`, `${JSON.stringify(outputs, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
}
