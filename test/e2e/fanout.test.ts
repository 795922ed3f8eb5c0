import { PublishCommand } from "@aws-sdk/client-sns";
import { describe, expect, it } from "vitest";
import { MAX_MESSAGE_BYTES } from "../../src/contract/index.js";
import { readLog, storedConnectionIds, useStack } from "../support/stack.js";
import { eventually } from "../support/wait.js";
import type { Client } from "../support/ws-client.js";

/** Dozens of clients: enough to exercise concurrency and the pool, small enough for a 2-core CI machine. */
const CLIENTS = 40;

describe("fan-out through the local stack", () => {
  const suite = useStack({}, CLIENTS);

  it("stores one key per connected client", async () => {
    // Prepare
    const { stack, s3 } = suite;

    // Act
    const ids = await storedConnectionIds(stack, s3);

    // Assess
    expect(ids).toHaveLength(CLIENTS);
    expect(stack.gateway.connectionCount()).toBe(CLIENTS);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9]{15}=$/);
  });

  it("delivers a client's broadcast to every client exactly once, the sender included", async () => {
    // Prepare
    const { clients } = suite;
    const sender = clients[0] as Client;
    const message = { text: "hello everyone", n: 1 };

    // Act
    sender.send({ action: "broadcast", message });
    await Promise.all(clients.map((c) => c.next((f) => JSON.stringify(f) === JSON.stringify({ message }))));
    await Promise.all(clients.map((c) => c.roundTrip()));

    // Assess
    for (const client of clients) {
      expect(client.received.filter((f) => JSON.stringify(f) === JSON.stringify({ message }))).toHaveLength(
        1,
      );
    }
  });

  it("delivers an SNS message published with the real SDK to every client, exactly as published", async () => {
    // Prepare
    const { stack, clients, sns } = suite;
    const body = '{"hello": "world", "unicode": "é✓"}';
    const before = clients.map((c) => c.raw.length);

    // Act
    const published = await sns.send(
      new PublishCommand({ TopicArn: stack.outputs.input_sns_topic_arn, Message: body }),
    );
    await Promise.all(
      clients.map((c, i) => c.next((f) => JSON.stringify(f) === JSON.stringify(JSON.parse(body)), before[i])),
    );

    // Assess
    expect(published.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    for (const [i, client] of clients.entries()) {
      const frames = client.raw.slice(before[i]).filter((r) => r.data.toString("utf8") === body);
      expect(frames).toHaveLength(1);
      expect(frames[0]?.isBinary).toBe(false);
    }
  });

  it("rejects a bad SNS record (not JSON, over the WebSocket limit) with its MessageId and still delivers the next", async () => {
    // Prepare
    const { stack, clients, sns } = suite;
    const good = JSON.stringify({ after: "bad ones" });
    const tooBig = JSON.stringify({ blob: "x".repeat(MAX_MESSAGE_BYTES) });
    const topic = stack.outputs.input_sns_topic_arn;

    // Act
    const notJson = await sns.send(new PublishCommand({ TopicArn: topic, Message: "not json" }));
    const oversize = await sns.send(new PublishCommand({ TopicArn: topic, Message: tooBig }));
    await sns.send(new PublishCommand({ TopicArn: topic, Message: good }));
    await Promise.all(clients.map((c) => c.next((f) => JSON.stringify(f) === good)));
    await eventually("both rejections logged", async () => {
      const text = JSON.stringify(await readLog(stack.outputs.lambda_log_file));
      return text.includes(notJson.MessageId ?? "?") && text.includes(oversize.MessageId ?? "?");
    });

    // Assess
    for (const client of clients) {
      expect(client.received).not.toContain("not json");
      expect(client.raw.some((r) => r.data.length > MAX_MESSAGE_BYTES)).toBe(false);
    }
  });

  it("writes to every socket itself with gateway.sendToAll (the benchmark's ceiling)", async () => {
    // Prepare
    const { stack, clients } = suite;
    const frame = '{"ceiling":true}';

    // Act
    const sent = await stack.gateway.sendToAll(frame);
    await Promise.all(clients.map((c) => c.next((f) => JSON.stringify(f) === frame)));

    // Assess
    expect(sent).toBe(CLIENTS);
  });

  it("reports completed invocations, CPU time and peak memory of the Lambda environments", async () => {
    // Prepare
    const { stack } = suite;
    const stats = await stack.lambda.stats();

    // Act
    const records = await readLog(stack.outputs.lambda_log_file);

    // Assess
    expect(stats.invocations).toBeGreaterThanOrEqual(CLIENTS + 5);
    expect(stats.cpuUserMicros).toBeGreaterThan(0);
    expect(stats.maxRssBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(records.some((r) => r.type === "platform.report")).toBe(true);
  });
});
