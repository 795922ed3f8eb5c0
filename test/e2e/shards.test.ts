import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Client, connectMany, eventually, readLog, startTestStack, type TestStack } from "./support.js";

/** More than FANOUT_INLINE_MAX below, so every fan-out goes through the shard queue. */
const CLIENTS = 12;

describe("sharded fan-out through the local stack (SQS in the emulator, event source mapping)", () => {
  let stack: TestStack;
  let clients: Client[] = [];
  let sns: SNSClient;

  beforeAll(async () => {
    // A low inline limit makes a dozen clients a "large" fan-out: 4 shards, each a queue message.
    stack = await startTestStack({ lambdaEnv: { FANOUT_INLINE_MAX: "5", FANOUT_SHARDS: "4" } });
    sns = new SNSClient({
      endpoint: stack.outputs.sns_endpoint,
      region: stack.outputs.region,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
    clients = await connectMany(stack.outputs.ws_url, CLIENTS);
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    sns?.destroy();
    await stack?.dispose();
  });

  it("delivers a broadcast to every client exactly once through 4 shards, the frames unchanged", async () => {
    // Prepare
    const message = { text: "sharded", n: 1 };
    const expected = JSON.stringify({ message });

    // Act
    clients[0]?.send({ action: "broadcast", message });
    await Promise.all(clients.map((c) => c.next((f) => JSON.stringify(f) === expected)));
    await Promise.all(clients.map((c) => c.roundTrip()));

    // Assess
    for (const client of clients)
      expect(client.received.filter((f) => JSON.stringify(f) === expected)).toHaveLength(1);
    await eventually("four shard summaries in the log", async () => {
      const lines = await readLog(stack.outputs.lambda_log_file);
      return lines.filter((line) => line.message === "fan-out done" && line.shard !== undefined).length === 4;
    });
    const lines = await readLog(stack.outputs.lambda_log_file);
    const dispatched = lines.find((line) => line.message === "fan-out dispatched");
    expect(dispatched).toMatchObject({ mode: "sharded", shards: 4, audience: "everyone" });
    const shards = lines.filter((line) => line.message === "fan-out done" && line.shard !== undefined);
    expect(shards.map((line) => line.shard).sort()).toEqual(["1/4", "2/4", "3/4", "4/4"]);
    expect(shards.reduce((sum, line) => sum + Number(line.delivered), 0)).toBe(CLIENTS);
  });

  it("shards an SNS message the same way", async () => {
    // Prepare
    const body = '{"sharded": "sns"}';

    // Act
    await sns.send(new PublishCommand({ TopicArn: stack.outputs.input_sns_topic_arn, Message: body }));
    await Promise.all(
      clients.map((c) => c.next((f) => JSON.stringify(f) === JSON.stringify(JSON.parse(body)))),
    );

    // Assess
    for (const client of clients)
      expect(client.raw.filter((frame) => frame.data.toString("utf8") === body)).toHaveLength(1);
  });
});
