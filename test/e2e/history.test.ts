import { PublishCommand } from "@aws-sdk/client-sns";
import { describe, expect, it } from "vitest";
import { epochAt } from "../../src/contract/index.js";
import { deliveries, subscribe } from "../support/channels.js";
import { useStack } from "../support/stack.js";
import { eventually } from "../support/wait.js";
import { Client, connectMany, isFrame, isSubscribedTo } from "../support/ws-client.js";

/** Publishes `count` messages from one client, one at a time: each waits for its `accepted`. */
async function publishInTurn(publisher: Client, channel: string, tag: string, count: number): Promise<void> {
  for (let n = 0; n < count; n++) {
    const from = publisher.received.length;
    const id = `${tag}-${n}`;
    publisher.send({ action: "publish", channel, message: { tag, n }, id });
    await publisher.next(isFrame({ action: "accepted", id }), from);
  }
}

describe("channel history through the local stack: positions, recovery, history on demand", () => {
  const suite = useStack();

  it("orders a channel's messages by position: 5 publishers x 40 at once give offsets 1..200 once each, each publisher's in its order", async () => {
    // Prepare: two subscribers, five publishers
    const { stack } = suite;
    const channel = "order/concurrent";
    const subscribers = suite.trackAll(await connectMany(stack.tokenUrl(), 2));
    for (const subscriber of subscribers) await subscribe(subscriber, channel);
    const publishers = suite.trackAll(await connectMany(stack.tokenUrl(), 5));

    // Act: all five publish at once, each waiting for its own acknowledgement before its next message
    await Promise.all(publishers.map((publisher, p) => publishInTurn(publisher, channel, `p${p}`, 40)));
    await eventually("200 deliveries each", () =>
      subscribers.every((s) => deliveries(s, channel).length >= 200),
    );
    await Promise.all(subscribers.map((s) => s.roundTrip()));

    // Assess: exact counts and order
    for (const subscriber of subscribers) {
      const got = deliveries(subscriber, channel);
      expect(got).toHaveLength(200);
      // Every position once, no hole, one epoch.
      expect(got.map((d) => d.offset).sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(
        Array.from({ length: 200 }, (_, n) => n + 1),
      );
      expect(new Set(got.map((d) => d.epoch)).size).toBe(1);
      // Per publisher: positions rise in the order it published.
      for (let p = 0; p < 5; p++) {
        const mine = got
          .filter((d) => (d.message as { tag: string }).tag === `p${p}`)
          .sort((a, b) => (a.offset ?? 0) - (b.offset ?? 0));
        expect(mine.map((d) => (d.message as { n: number }).n)).toEqual(
          Array.from({ length: 40 }, (_, n) => n),
        );
      }
    }
    // Both subscribers saw the same message at each position.
    const byOffset = (c: Client) =>
      deliveries(c, channel)
        .sort((a, b) => (a.offset ?? 0) - (b.offset ?? 0))
        .map((d) => d.id);
    expect(byOffset(subscribers[0] as Client)).toEqual(byOffset(subscribers[1] as Client));
  });

  it("gives SNS messages to a channel positions among client publishes, without a hole", async () => {
    // Prepare
    const { stack, sns } = suite;
    const channel = "order/mixed";
    const [subscriber, publisher] = suite.trackAll(await connectMany(stack.tokenUrl(), 2)) as [
      Client,
      Client,
    ];
    await subscribe(subscriber, channel);

    // Act: 10 through SNS and 10 from a client, at once
    const fromSns = Promise.all(
      Array.from({ length: 10 }, (_, n) =>
        sns.send(
          new PublishCommand({
            TopicArn: stack.outputs.input_sns_topic_arn,
            Message: JSON.stringify({ sns: n }),
            MessageAttributes: { channel: { DataType: "String", StringValue: channel } },
          }),
        ),
      ),
    );
    await Promise.all([fromSns, publishInTurn(publisher, channel, "client", 10)]);
    await eventually("20 deliveries", () => deliveries(subscriber, channel).length >= 20);

    // Assess
    const offsets = deliveries(subscriber, channel).map((d) => d.offset ?? 0);
    expect(offsets.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, n) => n + 1));
  });

  it("sends a subscriber that comes back with since every message it missed, in order, then subscribed recovered", async () => {
    // Prepare: a subscriber sees 3 messages and leaves; 5 more are published while it is away
    const { stack } = suite;
    const channel = "recover/room";
    const [first, publisher] = suite.trackAll(await connectMany(stack.tokenUrl(), 2)) as [Client, Client];
    await subscribe(first, channel);
    await publishInTurn(publisher, channel, "before", 3);
    await eventually("3 deliveries", () => deliveries(first, channel).length === 3);
    const last = deliveries(first, channel).at(-1);
    first.close();
    await publishInTurn(publisher, channel, "away", 5);

    // Act: it comes back on a new connection with the last position it saw
    const again = suite.track(await Client.connect(stack.tokenUrl()));
    again.send({ action: "subscribe", channel, since: { epoch: last?.epoch, offset: last?.offset } });
    await again.next(isSubscribedTo(channel));
    await publishInTurn(publisher, channel, "after", 1);
    await eventually("the live one after", () => deliveries(again, channel).length === 6);

    // Assess: the 5 it missed, in order, before `subscribed`, then the live one
    const trace = again.received.map((f) =>
      isSubscribedTo(channel)(f) ? "subscribed" : (f as { offset?: number }).offset,
    );
    expect(trace).toEqual([4, 5, 6, 7, 8, "subscribed", 9]);
    expect(again.received[5]).toEqual({
      action: "subscribed",
      channel,
      offset: 8,
      epoch: last?.epoch,
      recovered: true,
    });
    expect(deliveries(again, channel).map((d) => (d.message as { tag: string }).tag)).toEqual([
      "away",
      "away",
      "away",
      "away",
      "away",
      "after",
    ]);
  });

  it("answers a history request with the newest messages, and says recovered false to an epoch that is gone", async () => {
    // Prepare
    const { stack } = suite;
    const channel = "recover/view";
    const [reader, publisher] = suite.trackAll(await connectMany(stack.tokenUrl(), 2)) as [Client, Client];
    await publishInTurn(publisher, channel, "m", 12);

    // Act
    reader.send({ action: "history", channel, limit: 5 });
    const answer = (await reader.next((f) => (f as { action?: string }).action === "history")) as {
      messages: Array<{ offset: number; message: { n: number } }>;
    };
    reader.send({ action: "subscribe", channel, since: { epoch: "a", offset: 3 } });
    const subscribed = await reader.next(isSubscribedTo(channel));

    // Assess
    expect(answer.messages.map((m) => m.offset)).toEqual([8, 9, 10, 11, 12]);
    expect(answer.messages.map((m) => m.message.n)).toEqual([7, 8, 9, 10, 11]);
    expect(subscribed).toEqual({
      action: "subscribed",
      channel,
      offset: 12,
      epoch: epochAt(Date.now()),
      recovered: false,
    });
    expect(deliveries(reader, channel)).toEqual([]);
  });
});
