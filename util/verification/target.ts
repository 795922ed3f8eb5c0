/**
 * The stack `util/verify` checks, built from its outputs: the WebSocket URL, a token minted from its secret, the
 * input topic (SNS Publish) and the connection bucket (S3 ListObjectsV2), with the CLIs' usual SDK configuration.
 */
import { S3Client } from "@aws-sdk/client-s3";
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { ALL_RIGHTS, DEFAULT_CONNECTION_PREFIX } from "../../src/contract/index.js";
import { awsClientConfig, explainAwsError } from "../lib/aws.js";
import { publishInput, withChannel } from "../lib/publish.js";
import { listKeys } from "../lib/s3-keys.js";
import type { Stack } from "../lib/stack.js";
import { AUTOMATIC_TTL_SECONDS, mintToken, secretSourceFor } from "../lib/token.js";
import type { VerifyTarget } from "./context.js";

/** The flags of `util/verify` that shape the target. */
export interface TargetFlags {
  region?: string;
  "endpoint-url"?: string;
  /** A token to connect with instead of minting one. */
  token?: string;
  "secret-file"?: string;
  "channels-only"?: boolean;
}

/**
 * The stack as the steps see it, from its outputs; `release` frees the SDK clients.
 * @param stack - the stack the CLI found
 * @param flags - the CLI's flags
 */
export async function stackTarget(
  stack: Stack,
  flags: TargetFlags,
): Promise<{ target: VerifyTarget; release: () => void }> {
  const outputs = await stack.all();
  const wsUrl = await stack.require("ws_url");
  const topicArn = await stack.require("input_sns_topic_arn");
  const bucket = await stack.require("connection_bucket");
  const sns = new SNSClient(await awsClientConfig(stack, flags, "sns_endpoint"));
  const s3Config = await awsClientConfig(stack, flags, "s3_endpoint");
  // The emulator serves buckets by path, as the local stack's own clients reach it.
  const s3 = new S3Client({ ...s3Config, forcePathStyle: stack.local });
  const explained = (error: unknown, endpoint?: string) => explainAwsError(error, stack, endpoint);

  const target: VerifyTarget = {
    wsUrl,
    open: outputs.auth_mode === "open",
    channelsOnly: flags["channels-only"] === true,
    // A stack applied before the output existed has the variable's default unless someone changed it.
    connectionPrefix: outputs.connection_prefix || DEFAULT_CONNECTION_PREFIX,
    logsHint: logsCommand(stack, outputs.access_log_file),
    async token() {
      if (flags.token !== undefined) return { token: flags.token, source: "given with --token" };
      const source = await secretSourceFor(stack, flags["secret-file"]);
      const token = await mintToken(await source.read(), {
        sub: "fanout-verify",
        ttlSeconds: AUTOMATIC_TTL_SECONDS,
        capabilities: ALL_RIGHTS,
      });
      return {
        token,
        source: `minted from ${source.describe()} (every right, ${AUTOMATIC_TTL_SECONDS / 60} minutes)`,
      };
    },
    async publish(message, channel, abortSignal) {
      const attributes = withChannel(channel, message, {});
      try {
        const result = await sns.send(new PublishCommand(publishInput(topicArn, message, attributes)), {
          abortSignal,
        });
        if (!result.MessageId) throw new Error(`SNS returned no MessageId for ${topicArn}`);
        return result.MessageId;
      } catch (error) {
        throw explained(error, outputs.sns_endpoint);
      }
    },
    async listKeys(prefix, abortSignal) {
      try {
        return await listKeys(s3, bucket, prefix, { abortSignal });
      } catch (error) {
        throw explained(error, outputs.s3_endpoint);
      }
    },
  };
  return {
    target,
    release: () => {
      sns.destroy();
      s3.destroy();
    },
  };
}

/** The `util/tail-logs` command that shows this stack's logs of the last minutes, as the user would type it. */
function logsCommand(stack: Stack, accessLogFile: string | undefined): string {
  const { local, outputs, env, stackDir } = stack.options;
  const flags = [
    local ? "--local" : "",
    outputs !== undefined ? `--outputs ${outputs}` : "",
    env !== undefined ? `--env ${env}` : "",
    stackDir !== undefined ? `--stack-dir ${stackDir}` : "",
  ].filter((flag) => flag !== "");
  const command = `util/tail-logs ${[...flags, "--since", "5m"].join(" ")}`;
  return accessLogFile ? `${command} (the access log alone: ${accessLogFile})` : command;
}
