import { CreateQueueCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LOCAL_CREDENTIALS } from "../../../util/local-stack/emulator/emulator.js";
import { httpRequest, type RawResponse } from "../../support/http.js";
import { startTestEmulator, type TestEmulator, xmlText } from "./support.js";

/**
 * SQS through the fidelity layer (util/local-stack/emulator/fidelity/sqs.ts): the query protocol of the AWS CLI 2.9
 * and boto3 1.26 (the bodies below are what they send, captured), and a malformed JSON body. The real clients run in
 * sqs-clients.test.ts.
 */
describe("the emulator's SQS, for clients of the query protocol", () => {
  let emulator: TestEmulator;
  let sqs: SQSClient;
  let queueUrl: string;

  beforeEach(async () => {
    emulator = await startTestEmulator();
    sqs = new SQSClient({ endpoint: emulator.endpoint, region: "us-east-1", credentials: LOCAL_CREDENTIALS });
    const created = await sqs.send(new CreateQueueCommand({ QueueName: "fanout-test-shards-dlq" }));
    queueUrl = `${emulator.endpoint}${new URL(created.QueueUrl ?? "").pathname}`;
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: '{"v":1}',
        MessageAttributes: { reason: { DataType: "String", StringValue: "past the 60 s bound" } },
      }),
    );
  });
  afterEach(async () => {
    sqs.destroy();
    await emulator.stop();
  });

  /** POST / with a form body, as the query protocol sends every call. */
  function query(fields: Record<string, string>): Promise<RawResponse> {
    const url = new URL(emulator.endpoint);
    const body = new URLSearchParams({ Version: "2012-11-05", ...fields }).toString();
    return httpRequest(
      {
        method: "POST",
        host: url.hostname,
        port: url.port,
        path: "/",
        headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
      },
      body,
    );
  }

  it("answers GetQueueAttributes, ReceiveMessage (attributes and message attributes), SendMessage and DeleteMessage in the query protocol's XML", async () => {
    // Act: the calls of inspecting the dead-letter queue and redriving its message by hand
    const attributes = await query({
      Action: "GetQueueAttributes",
      QueueUrl: queueUrl,
      "AttributeName.1": "All",
    });
    const received = await query({
      Action: "ReceiveMessage",
      QueueUrl: queueUrl,
      "AttributeName.1": "All",
      "MessageAttributeName.1": "All",
      MaxNumberOfMessages: "10",
    });
    const sent = await query({
      Action: "SendMessage",
      QueueUrl: queueUrl,
      MessageBody: xmlText(received.body, "Body") ?? "",
      "MessageAttribute.1.Name": "redriven",
      "MessageAttribute.1.Value.DataType": "String",
      "MessageAttribute.1.Value.StringValue": "by hand",
    });
    const deleted = await query({
      Action: "DeleteMessage",
      QueueUrl: queueUrl,
      ReceiptHandle: xmlText(received.body, "ReceiptHandle") ?? "",
    });

    // Assess
    expect([attributes.status, received.status, sent.status, deleted.status]).toEqual([200, 200, 200, 200]);
    expect(attributes.body).toContain(
      "<Attribute><Name>ApproximateNumberOfMessages</Name><Value>1</Value></Attribute>",
    );
    expect(xmlText(received.body, "Body")).toBe("{&quot;v&quot;:1}");
    expect(received.body).toContain(
      "<MessageAttribute><Name>reason</Name><Value><StringValue>past the 60 s bound</StringValue><DataType>String</DataType></Value></MessageAttribute>",
    );
    expect(received.body).toContain("<Name>ApproximateReceiveCount</Name><Value>1</Value>");
    expect(xmlText(sent.body, "MessageId")).toMatch(/^[0-9a-f-]{36}$/);
    expect(deleted.body).toMatch(/^<\?xml version="1.0"\?><DeleteMessageResponse xmlns=.*<RequestId>/);
  });

  it("answers an unknown queue and an action it does not translate with a query-protocol error, 400", async () => {
    // Act
    const missing = await query({
      Action: "GetQueueAttributes",
      QueueUrl: `${emulator.endpoint}/000000000000/nope`,
    });
    const untranslated = await query({
      Action: "StartMessageMoveTask",
      SourceArn: "arn:aws:sqs:us-east-1:0:q",
    });

    // Assess
    expect(missing.status).toBe(400);
    expect(xmlText(missing.body, "Code")).toBe("AWS.SimpleQueueService.NonExistentQueue");
    expect(untranslated.status).toBe(400);
    expect(xmlText(untranslated.body, "Code")).toBe("InvalidAction");
  });

  it("answers a JSON-protocol body that does not parse with 400 SerializationException, not 500", async () => {
    // Prepare
    const url = new URL(emulator.endpoint);

    // Act
    const answer = await httpRequest(
      {
        method: "POST",
        host: url.hostname,
        port: url.port,
        path: "/",
        headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": "AmazonSQS.ListQueues" },
      },
      "{not json",
    );

    // Assess
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({
      __type: "com.amazon.coral.service#SerializationException",
    });
    expect(emulator.warnings).toEqual([]);
  });
});
