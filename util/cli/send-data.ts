import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { AWS_HELP, awsArgs, awsClientConfig, explainAwsError } from "../lib/aws.js";
import { CliError, parseCliArgs, runCli, UsageError } from "../lib/cli.js";
import { checkPayload, parseAttributes, publishInput, withChannel } from "../lib/publish.js";
import { STACK_HELP, type Stack, stackArgs, stackFrom } from "../lib/stack.js";
import { parseTimeout, timeoutArgs, withTimeout } from "../lib/timeout.js";

const HELP = `Usage: util/send-data [options] [JSON]

Publishes a JSON payload to the stack's input SNS topic; every connected client receives it exactly as published.
With --channel C only the subscribers of channel C receive it, as {"channel":C,"message":<payload>,"id":<MessageId>}
(docs/channels.md). The payload is the argument, or stdin when the argument is missing or "-" (for big payloads). It must be JSON and
at most 128 KB (what a WebSocket client can receive); both are checked before anything is sent. Prints the
MessageId SNS gave it, labelled ("MessageId: ..."; \`cut -d' ' -f2\` keeps the id alone).

Examples:
  util/send-data --local '{"hello":"world"}'
  util/send-data --attribute source=ci < payload.json
  util/send-data --local --channel game-42/score '{"home":3,"away":1}'
  util/send-data --env staging '{"deploy":"done"}'

Options:
  --channel C            send to channel C's subscribers only (the "channel" message attribute), e.g. news/sport
  --attribute KEY=VALUE  a String message attribute (repeatable, at most 10)
  --topic-arn ARN        the topic (default: the stack's input_sns_topic_arn output)
  --timeout DURATION     give up when SNS has not answered within DURATION (10s, 500ms; default: the SDK's)
  -h, --help             this help

${STACK_HELP}

${AWS_HELP}

Exit status: 0 published, 1 failure (the cause in one line), 2 usage error (bad flag or channel name, payload not
JSON or too big).`;

await runCli("send-data", async () => {
  const { values, positionals } = parseCliArgs({
    allowPositionals: true,
    options: {
      ...stackArgs,
      ...awsArgs,
      ...timeoutArgs,
      attribute: { type: "string", multiple: true, default: [] },
      channel: { type: "string" },
      "topic-arn": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  if (positionals.length > 1) {
    throw new UsageError('give one JSON payload: quote it for the shell, e.g. \'{"hello":"world"}\'');
  }
  const timeoutMs = parseTimeout(values.timeout);
  const parsed = parseAttributes(values.attribute);
  const message = checkPayload(await payloadText(positionals[0]));
  const attributes = withChannel(values.channel, message, parsed);
  const stack = stackFrom(values);

  const topicArn = values["topic-arn"] ?? (await stack.require("input_sns_topic_arn"));
  const config = await awsClientConfig(stack, values, "sns_endpoint");
  const sns = new SNSClient(config);
  try {
    const { MessageId } = await withTimeout(timeoutMs, `the publish to ${topicArn}`, (abortSignal) =>
      sns.send(new PublishCommand(publishInput(topicArn, message, attributes)), { abortSignal }),
    );
    if (!MessageId) throw new CliError(`SNS accepted the message but returned no MessageId (${topicArn})`);
    process.stdout.write(`MessageId: ${MessageId}\n`);
  } catch (error) {
    throw explainSnsError(explainAwsError(error, stack, config.endpoint), topicArn, stack);
  } finally {
    sns.destroy();
  }
});

/** The payload from the argument, else from stdin; a terminal on stdin means the user forgot the payload. */
async function payloadText(argument: string | undefined): Promise<string> {
  if (argument !== undefined && argument !== "-") return argument;
  if (process.stdin.isTTY) {
    throw new UsageError(
      'no payload: give it as an argument, e.g. \'{"hello":"world"}\', or pipe it on stdin',
    );
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** SNS's own refusals, in words that point at the fix. */
function explainSnsError(error: unknown, topicArn: string, stack: Stack): unknown {
  if (!(error instanceof Error) || error instanceof CliError) return error;
  switch (error.name) {
    case "NotFoundException":
      return new CliError(
        stack.local
          ? `topic ${topicArn} does not exist in the local stack: is --topic-arn right? (restarting \`npm start\` recreates it)`
          : `topic ${topicArn} does not exist: is the stack deployed (in this region)?`,
      );
    case "AuthorizationErrorException":
      return new CliError(`not allowed to publish to ${topicArn}: ${error.message}`);
    default:
      return new CliError(`publish to ${topicArn} failed: ${error.name}: ${error.message}`);
  }
}
