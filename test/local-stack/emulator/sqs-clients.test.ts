import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LOCAL_CREDENTIALS } from "../../../util/local-stack/emulator/emulator.js";
import { cliEnv, isExecutable, runCommand } from "../../cli/support/run.js";
import { startTestEmulator, type TestEmulator } from "./support.js";

/**
 * The shard dead-letter queue inspected and redriven by hand (docs/scaling.md) with the AWS CLI and boto3 of this
 * machine. Debian 12's (`apt-get install awscli python3-boto3`: AWS CLI 2.9.19, boto3 1.26.27, what .ci/run installs)
 * speak SQS's query protocol, which only the fidelity layer makes the emulator understand; newer releases speak its
 * JSON protocol. `FANOUT_AWS_CLI` and `FANOUT_PYTHON` name others.
 */
const INSTALL_HINT =
  "install the AWS CLI and boto3 (Debian: apt-get install awscli python3-boto3), or name them with FANOUT_AWS_CLI and FANOUT_PYTHON";

/** The AWS CLI: `$FANOUT_AWS_CLI`, Debian's, else the first `aws` on PATH. */
function awsCli(): string {
  return process.env.FANOUT_AWS_CLI || (isExecutable("/usr/bin/aws") ? "/usr/bin/aws" : "aws");
}

/** A Python that imports boto3: `$FANOUT_PYTHON`, Debian's, else the first `python3` on PATH. */
async function pythonWithBoto3(env: NodeJS.ProcessEnv): Promise<string> {
  const candidates = process.env.FANOUT_PYTHON
    ? [process.env.FANOUT_PYTHON]
    : ["/usr/bin/python3", "python3"];
  for (const python of candidates) {
    const probe = await runCommand(python, ["-c", "import boto3"], env).catch(() => undefined);
    if (probe?.code === 0) return python;
  }
  throw new Error(`no Python with boto3 (tried ${candidates.join(", ")}): ${INSTALL_HINT}`);
}

/** The same by-hand redrive as the CLI's commands, in boto3. */
const BOTO3_REDRIVE = `
import json, sys, boto3
endpoint, dlq, queue = sys.argv[1:4]
sqs = boto3.client("sqs", endpoint_url=endpoint)
count = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
got = sqs.receive_message(QueueUrl=dlq, MessageAttributeNames=["All"], AttributeNames=["All"], VisibilityTimeout=60)
message = got["Messages"][0]
sqs.send_message(QueueUrl=queue, MessageBody=message["Body"])
sqs.delete_message(QueueUrl=dlq, ReceiptHandle=message["ReceiptHandle"])
print(json.dumps({"count": count["ApproximateNumberOfMessages"], "body": message["Body"],
                  "reason": message["MessageAttributes"]["reason"]["StringValue"],
                  "receives": message["Attributes"]["ApproximateReceiveCount"]}))
`;

describe("the shard dead-letter queue by hand, with the AWS CLI and boto3 against the emulator", () => {
  let emulator: TestEmulator;
  let sqs: SQSClient;
  let home: string;
  let env: NodeJS.ProcessEnv;
  const urls = { dlq: "", queue: "" };

  beforeEach(async () => {
    emulator = await startTestEmulator();
    sqs = new SQSClient({ endpoint: emulator.endpoint, region: "us-east-1", credentials: LOCAL_CREDENTIALS });
    for (const [key, name] of [
      ["dlq", "fanout-test-shards-dlq"],
      ["queue", "fanout-test-shards"],
    ] as const) {
      const { QueueUrl = "" } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
      urls[key] = `${emulator.endpoint}${new URL(QueueUrl).pathname}`;
    }
    // A job set aside as the worker does it: the body unchanged, the reason as a message attribute.
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: urls.dlq,
        MessageBody: '{"v":1,"dispatchId":"d-1"}',
        MessageAttributes: { reason: { DataType: "String", StringValue: "past the 60 s bound" } },
      }),
    );
    home = await mkdtemp(join(tmpdir(), "fanout-sqs-clients-"));
    env = cliEnv(home, {
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
      AWS_DEFAULT_REGION: "us-east-1",
      AWS_MAX_ATTEMPTS: "1",
      AWS_PAGER: "",
    });
  });
  afterEach(async () => {
    sqs.destroy();
    await emulator.stop();
    await rm(home, { recursive: true, force: true });
  });

  /** What is left: the dead-letter queue's count, and the bodies now in the shard queue. */
  async function afterwards(): Promise<{ left: string | undefined; redriven: string[] }> {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: urls.dlq, AttributeNames: ["ApproximateNumberOfMessages"] }),
    );
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: urls.queue, MaxNumberOfMessages: 10 }),
    );
    return { left: Attributes?.ApproximateNumberOfMessages, redriven: Messages.map((m) => m.Body ?? "") };
  }

  it("counts, reads (with its reason), redrives and deletes a set-aside job with the AWS CLI", async () => {
    // Prepare
    const aws = (...args: string[]) =>
      runCommand(awsCli(), ["--endpoint-url", emulator.endpoint, "--output", "json", "sqs", ...args], env);

    // Act: the commands of docs/scaling.md
    const count = await aws(
      "get-queue-attributes",
      ...["--queue-url", urls.dlq, "--attribute-names", "ApproximateNumberOfMessages"],
    ).catch((error: Error) => {
      throw new Error(`${error.message}: ${INSTALL_HINT}`);
    });
    const got = await aws(
      "receive-message",
      ...["--queue-url", urls.dlq, "--message-attribute-names", "All", "--attribute-names", "All"],
      ...["--visibility-timeout", "60"],
    );
    const message = JSON.parse(got.stdout).Messages[0];
    const sent = await aws("send-message", "--queue-url", urls.queue, "--message-body", message.Body);
    const deleted = await aws(
      "delete-message",
      "--queue-url",
      urls.dlq,
      "--receipt-handle",
      message.ReceiptHandle,
    );

    // Assess
    expect([count.code, got.code, sent.code, deleted.code], count.stderr + got.stderr + sent.stderr).toEqual([
      0, 0, 0, 0,
    ]);
    expect(JSON.parse(count.stdout)).toEqual({ Attributes: { ApproximateNumberOfMessages: "1" } });
    expect(message).toMatchObject({
      Body: '{"v":1,"dispatchId":"d-1"}',
      MessageAttributes: { reason: { StringValue: "past the 60 s bound", DataType: "String" } },
      Attributes: { ApproximateReceiveCount: "1" },
    });
    expect(JSON.parse(sent.stdout).MessageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await afterwards()).toEqual({ left: "0", redriven: ['{"v":1,"dispatchId":"d-1"}'] });
  });

  it("does the same with boto3", async () => {
    // Prepare
    const python = await pythonWithBoto3(env);

    // Act
    const run = await runCommand(python, ["-c", BOTO3_REDRIVE, emulator.endpoint, urls.dlq, urls.queue], env);

    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      count: "1",
      body: '{"v":1,"dispatchId":"d-1"}',
      reason: "past the 60 s bound",
      receives: "1",
    });
    expect(await afterwards()).toEqual({ left: "0", redriven: ['{"v":1,"dispatchId":"d-1"}'] });
  });
});
