import { PublishCommand } from "@aws-sdk/client-sns";
import { describe, expect, it } from "vitest";
import { isDeliveryAt } from "../support/channels.js";
import { readLog, useStack } from "../support/stack.js";
import { eventually } from "../support/wait.js";
import { type Client, isSubscribedTo } from "../support/ws-client.js";

/** More than FANOUT_INLINE_MAX below, so every fan-out goes through the shard queue. */
const CLIENTS = 12;

describe("sharded fan-out through the local stack (SQS in the emulator, event source mapping)", () => {
  // A low inline limit makes a dozen clients a "large" fan-out: 4 shards, each a queue message.
  const suite = useStack({ lambdaEnv: { FANOUT_INLINE_MAX: "5", FANOUT_SHARDS: "4" } }, CLIENTS);

  it("delivers a broadcast to every client exactly once through 4 shards, the frames unchanged", async () => {
    // Prepare
    const { stack, clients } = suite;
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
    const { stack, clients, sns } = suite;
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

  it("shards a channel publish and an SNS message to a channel: members only, each exactly once", async () => {
    // Prepare: 8 members (more than FANOUT_INLINE_MAX), the rest outside the channel
    const { stack, clients, sns } = suite;
    const channel = "big/room";
    const members = clients.slice(0, 8);
    const others = clients.slice(8);
    await Promise.all(
      members.map(async (member) => {
        const from = member.received.length;
        member.send({ action: "subscribe", channel });
        await member.next(isSubscribedTo(channel), from);
      }),
    );
    const publisher = others[0] as Client;
    const published = isDeliveryAt({ channel, message: { n: 1 }, id: "shard-pub-1" }, 1);

    // Act
    publisher.send({ action: "publish", channel, message: { n: 1 }, id: "shard-pub-1" });
    await Promise.all(members.map((m) => m.next(published)));
    const sent = await sns.send(
      new PublishCommand({
        TopicArn: stack.outputs.input_sns_topic_arn,
        Message: '{"n":2}',
        MessageAttributes: { channel: { DataType: "String", StringValue: channel } },
      }),
    );
    const fromSns = isDeliveryAt({ channel, message: { n: 2 }, id: sent.MessageId ?? "" }, 2);
    await Promise.all(members.map((m) => m.next(fromSns)));
    await Promise.all(clients.map((c) => c.roundTrip()));

    // Assess: each once, at positions 1 and 2 of the channel's history
    for (const member of members) {
      expect(member.received.filter(published)).toHaveLength(1);
      expect(member.received.filter(fromSns)).toHaveLength(1);
    }
    for (const other of others)
      expect(other.received.filter((f) => typeof f === "object" && f !== null && "channel" in f)).toEqual([]);
    expect(publisher.received).toContainEqual({ action: "accepted", id: "shard-pub-1" });
    const lines = await readLog(stack.outputs.lambda_log_file);
    const dispatched = lines.filter(
      (line) => line.message === "fan-out dispatched" && line.channel === channel,
    );
    expect(dispatched).toHaveLength(2);
    for (const line of dispatched)
      expect(line).toMatchObject({ mode: "sharded", shards: 4, audience: "channel" });
  });
});
