import type { MessageAttributeValue, PublishCommandInput } from "@aws-sdk/client-sns";
import {
  CHANNEL_ATTRIBUTE,
  channelFrame,
  channelProblem,
  MAX_MESSAGE_BYTES,
} from "../../src/contract/index.js";
import { UsageError } from "./cli.js";

/** SNS accepts at most 10 message attributes per message. */
const MAX_MESSAGE_ATTRIBUTES = 10;

/**
 * Checks a payload before it is published: it must be JSON (the service delivers only JSON) and at most 128 KB, what
 * a WebSocket client can receive; SNS itself would take 256 KB and the handler would then drop it. Returns the text
 * to publish: the payload as given, without surrounding whitespace (the trailing newline of a file or `echo`),
 * since clients receive it exactly as published.
 * @param text - the payload as typed or read from stdin
 */
export function checkPayload(text: string): string {
  const message = text.trim();
  if (message === "")
    throw new UsageError('the payload is empty: give a JSON value, e.g. \'{"hello":"world"}\'');
  try {
    JSON.parse(message);
  } catch (error) {
    throw new UsageError(
      `the payload is not JSON (${(error as Error).message}): quote it for the shell, e.g. '{"hello":"world"}'`,
    );
  }
  const bytes = Buffer.byteLength(message, "utf8");
  if (bytes > MAX_MESSAGE_BYTES) {
    throw new UsageError(
      `the payload is ${bytes} bytes, over the ${MAX_MESSAGE_BYTES}-byte (128 KB) WebSocket message limit: send less`,
    );
  }
  return message;
}

/**
 * Parses `--attribute key=value` flags into SNS string message attributes, with SNS's rules on names checked here
 * so the user learns about a bad name before anything is sent.
 * @param pairs - the flag values, in order
 */
export function parseAttributes(pairs: readonly string[]): Record<string, MessageAttributeValue> {
  if (pairs.length > MAX_MESSAGE_ATTRIBUTES) {
    throw new UsageError(
      `at most ${MAX_MESSAGE_ATTRIBUTES} --attribute flags (an SNS limit), got ${pairs.length}`,
    );
  }
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf("=");
    const name = equals < 0 ? pair : pair.slice(0, equals);
    const value = equals < 0 ? "" : pair.slice(equals + 1);
    if (equals < 0 || value === "") {
      throw new UsageError(`--attribute ${pair}: write it as key=value, with a non-empty value`);
    }
    const problem = attributeNameProblem(name);
    if (problem) throw new UsageError(`--attribute ${pair}: ${problem}`);
    if (name in attributes) throw new UsageError(`--attribute ${name} is given twice`);
    attributes[name] = { DataType: "String", StringValue: value };
  }
  return attributes;
}

/**
 * What is wrong with an SNS message attribute name, if anything. Source: SNS "Amazon SNS message attributes":
 * up to 256 characters of letters, digits, `_`, `-` and `.`; no leading, trailing or doubled `.`; no `AWS.` or
 * `Amazon.` prefix (reserved).
 */
function attributeNameProblem(name: string): string | undefined {
  if (!/^[A-Za-z0-9_.-]{1,256}$/.test(name)) {
    return "a name has 1 to 256 letters, digits, '_', '-' or '.'";
  }
  if (name.startsWith(".") || name.endsWith(".") || name.includes("..")) {
    return "a name cannot start or end with '.' or contain '..'";
  }
  if (/^(aws|amazon)\./i.test(name)) return "names starting with AWS. or Amazon. are reserved";
  return undefined;
}

/**
 * The SNS Publish request for a checked payload.
 * @param topicArn - the input topic
 * @param message - a payload that passed {@link checkPayload}
 * @param attributes - from {@link parseAttributes}; omitted from the request when empty
 */
export function publishInput(
  topicArn: string,
  message: string,
  attributes: Record<string, MessageAttributeValue>,
): PublishCommandInput {
  const input: PublishCommandInput = { TopicArn: topicArn, Message: message };
  if (Object.keys(attributes).length > 0) input.MessageAttributes = attributes;
  return input;
}

/** An SNS MessageId is a UUID: the `id` of the envelope a channel's subscribers receive is this long. */
const SNS_MESSAGE_ID_LENGTH = 36;

/**
 * The message attributes of a publish to one channel: the `channel` attribute the handler routes on, after the
 * checks the handler would make (the channel grammar, and the 128 KB limit of the envelope
 * `{"channel":C,"message":M,"id":<MessageId>}` subscribers receive), so a mistake is reported before anything is
 * sent rather than logged and dropped by the Lambda.
 * `--attribute channel=...` is refused even without `--channel`: it would route the message unchecked.
 * @param channel - the `--channel` value; undefined publishes to everyone (the attributes unchanged)
 * @param message - the checked payload (see {@link checkPayload})
 * @param attributes - the `--attribute` flags, parsed; `channel` may not be among them
 */
export function withChannel(
  channel: string | undefined,
  message: string,
  attributes: Readonly<Record<string, MessageAttributeValue>>,
): Record<string, MessageAttributeValue> {
  if (CHANNEL_ATTRIBUTE in attributes) {
    throw new UsageError(
      `give the channel as --channel ${attributes[CHANNEL_ATTRIBUTE]?.StringValue ?? "C"}, not --attribute ${CHANNEL_ATTRIBUTE}=...: the name is then checked before sending`,
    );
  }
  if (channel === undefined) return { ...attributes };
  const problem = channelProblem(channel);
  if (problem !== undefined) throw new UsageError(`--channel: ${problem}`);
  const frame = channelFrame(channel, JSON.parse(message), "x".repeat(SNS_MESSAGE_ID_LENGTH));
  if (!frame.ok) throw new UsageError(`--channel ${channel}: ${frame.error.message}`);
  return { ...attributes, [CHANNEL_ATTRIBUTE]: { DataType: "String", StringValue: channel } };
}
