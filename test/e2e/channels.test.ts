import { PutObjectCommand } from "@aws-sdk/client-s3";
import { PublishCommand } from "@aws-sdk/client-sns";
import { describe, expect, it } from "vitest";
import { memberKey, reverseKey } from "../../src/contract/index.js";
import { deliveries, EPOCH, isDeliveryAt, membershipKeysOf, subscribe } from "../support/channels.js";
import { connectWithId, readLog, storedConnectionIds, useStack } from "../support/stack.js";
import { eventually } from "../support/wait.js";
import { Client, connectMany, isErrorFrame, isFrame } from "../support/ws-client.js";

describe("channels through the local stack", () => {
  const suite = useStack();

  it("delivers a publish to the channel's subscribers only, the sender acknowledged with its id", async () => {
    // Prepare
    const { stack } = suite;
    const [member, other, bystander] = (await connectMany(stack.tokenUrl(), 3)) as [Client, Client, Client];
    await subscribe(member, "news/sport");
    await subscribe(other, "news");

    // Act
    member.send({ action: "publish", channel: "news/sport", message: { score: 1 }, id: "req-1" });
    const delivery = { channel: "news/sport", message: { score: 1 }, id: "req-1" };
    await member.next(isDeliveryAt(delivery, 1));
    await Promise.all([member, other, bystander].map((c) => c.roundTrip()));

    // Assess: the frame carries its position in the channel's history, the first
    expect(member.received).toContainEqual({ action: "accepted", id: "req-1" });
    expect(deliveries(member)).toEqual([{ ...delivery, offset: 1, epoch: expect.stringMatching(EPOCH) }]);
    expect(deliveries(other)).toEqual([]);
    expect(deliveries(bystander)).toEqual([]);
    for (const client of [member, other, bystander]) client.close();
  });

  it("stops delivering after an unsubscribe, which is idempotent", async () => {
    // Prepare
    const { stack } = suite;
    const [leaver, stayer] = (await connectMany(stack.tokenUrl(), 2)) as [Client, Client];
    await subscribe(leaver, "room-1");
    await subscribe(stayer, "room-1");

    // Act
    leaver.send({ action: "unsubscribe", channel: "room-1" });
    leaver.send({ action: "unsubscribe", channel: "room-1" });
    await leaver.next(
      () => leaver.received.filter(isFrame({ action: "unsubscribed", channel: "room-1" })).length === 2,
    );
    stayer.send({ action: "publish", channel: "room-1", message: "after" });
    await stayer.next(() => deliveries(stayer).length === 1);
    await leaver.roundTrip();

    // Assess
    expect(leaver.received.filter(isFrame({ action: "unsubscribed", channel: "room-1" }))).toHaveLength(2);
    expect(deliveries(leaver)).toEqual([]);
    const [delivered] = deliveries(stayer);
    expect(delivered).toMatchObject({ channel: "room-1", message: "after" });
    // Without a client id the service generates one (a UUID), and sends no acknowledgement.
    expect(delivered?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(stayer.received.some((f) => (f as { action?: unknown }).action === "accepted")).toBe(false);
    leaver.close();
    stayer.close();
  });

  it("leaves no membership key behind when a subscriber disconnects", async () => {
    // Prepare
    const { stack, s3 } = suite;
    const { client, id } = await connectWithId(stack, s3);
    for (const channel of ["a", "b/c", "d.e"]) await subscribe(client, channel);
    const stored = await membershipKeysOf(stack, s3, id);

    // Act
    client.ws.close(1000, "done");
    await eventually("memberships removed", async () => (await membershipKeysOf(stack, s3, id)).length === 0);

    // Assess
    expect(stored).toHaveLength(6);
    expect(await membershipKeysOf(stack, s3, id)).toEqual([]);
    expect(await storedConnectionIds(stack, s3)).not.toContain(id);
  });

  it("removes a dead member (410) from every channel on the next publish, and still delivers to the others", async () => {
    // Prepare: a connection that vanished without $disconnect left its keys behind
    const { stack, s3 } = suite;
    const dead = "DeadConnAAAAAA0=";
    const keys = [
      `${stack.outputs.connection_prefix}/${dead}`,
      reverseKey(dead, "sweep"),
      memberKey("sweep", dead),
      reverseKey(dead, "elsewhere"),
      memberKey("elsewhere", dead),
    ];
    for (const Key of keys) {
      await s3.send(
        new PutObjectCommand({ Bucket: stack.outputs.connection_bucket, Key, Body: "", ContentLength: 0 }),
      );
    }
    const live = await Client.connect(stack.tokenUrl());
    await subscribe(live, "sweep");

    // Act
    live.send({ action: "publish", channel: "sweep", message: 1 });
    await live.next(() => deliveries(live, "sweep").length === 1);
    await eventually(
      "dead member removed",
      async () => (await membershipKeysOf(stack, s3, dead)).length === 0,
    );

    // Assess
    expect(await membershipKeysOf(stack, s3, dead)).toEqual([]);
    expect(await storedConnectionIds(stack, s3)).not.toContain(dead);
    live.close();
  });

  it("refuses an invalid or missing channel with an error frame carrying its context, storing nothing", async () => {
    // Prepare
    const { stack, s3 } = suite;
    const { client, id } = await connectWithId(stack, s3);

    // Act
    client.send({ action: "subscribe", channel: "news/*" });
    client.send({ action: "publish", message: 1, id: "p-9" });
    await client.next(() => client.received.length === 2);

    // Assess: the two frames run side by side, so their answers may come in either order
    const byCode = [...client.received].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    expect(byCode).toEqual([
      {
        error: {
          code: "INVALID_CHANNEL",
          message: expect.stringContaining('contains "*"'),
          action: "subscribe",
          channel: "news/*",
        },
      },
      {
        error: {
          code: "MISSING_CHANNEL",
          message: expect.stringContaining('"channel"'),
          action: "publish",
          id: "p-9",
        },
      },
    ]);
    expect(await membershipKeysOf(stack, s3, id)).toEqual([]);
    client.close();
  });

  it("sends an SNS message with a channel attribute to that channel as {channel, message, id: MessageId}", async () => {
    // Prepare
    const { stack, sns } = suite;
    const [member, bystander] = (await connectMany(stack.tokenUrl(), 2)) as [Client, Client];
    await subscribe(member, "game-42/score");

    // Act
    const withChannel = await sns.send(
      new PublishCommand({
        TopicArn: stack.outputs.input_sns_topic_arn,
        Message: '{"home":3}',
        MessageAttributes: { channel: { DataType: "String", StringValue: "game-42/score" } },
      }),
    );
    const withoutChannel = await sns.send(
      new PublishCommand({ TopicArn: stack.outputs.input_sns_topic_arn, Message: '{"to": "all"}' }),
    );
    const delivery = { channel: "game-42/score", message: { home: 3 }, id: withChannel.MessageId ?? "" };
    await member.next(isDeliveryAt(delivery, 1));
    await Promise.all([member, bystander].map((c) => c.next(isFrame({ to: "all" }))));
    await bystander.roundTrip();

    // Assess: the same envelope as a client's publish, its position included
    expect(deliveries(member)).toEqual([{ ...delivery, offset: 1, epoch: expect.stringMatching(EPOCH) }]);
    expect(deliveries(bystander)).toEqual([]);
    // Without the attribute: the body unchanged, to everyone.
    expect(bystander.raw.map((frame) => frame.data.toString("utf8"))).toContain('{"to": "all"}');
    expect(withoutChannel.MessageId).toBeDefined();
    member.close();
    bystander.close();
  });

  it("lets a token's patterns decide: a refused subscribe or publish is FORBIDDEN, stores nothing and sends nothing", async () => {
    // Prepare: a reader of news/* that may publish nowhere, and a member of sport/x who would see a stray publish
    const { stack, s3 } = suite;
    const before = await storedConnectionIds(stack, s3);
    const reader = await Client.connect(
      stack.tokenUrl({ broadcast: false, subscribe: ["news/*"], publish: [] }),
    );
    const [readerId] = (await storedConnectionIds(stack, s3)).filter((each) => !before.includes(each));
    const { client: member } = await connectWithId(stack, s3);
    await subscribe(member, "sport/x");

    // Act
    await subscribe(reader, "news/eu");
    reader.send({ action: "subscribe", channel: "sport/x" });
    reader.send({ action: "publish", channel: "sport/x", message: "stray", id: "p-1" });
    // Each frame is its own invocation, answered in any order, the ping's pong included.
    const refusals = () => reader.received.filter(isErrorFrame);
    await eventually("both refusals", () => refusals().length >= 2, 15_000);
    await member.roundTrip();

    // Assess
    const errors = refusals();
    // Two frames, two invocations that may answer in either order.
    expect(errors).toHaveLength(2);
    expect(errors).toEqual(
      expect.arrayContaining([
        { error: expect.objectContaining({ code: "FORBIDDEN", action: "subscribe", channel: "sport/x" }) },
        {
          error: expect.objectContaining({
            code: "FORBIDDEN",
            action: "publish",
            channel: "sport/x",
            id: "p-1",
          }),
        },
      ]),
    );
    expect(deliveries(member)).toEqual([]);
    expect(await membershipKeysOf(stack, s3, readerId ?? "")).toEqual([
      memberKey("news/eu", readerId ?? ""),
      reverseKey(readerId ?? "", "news/eu"),
    ]);
    reader.close();
    member.close();
  });

  it("logs an SNS message with an invalid channel attribute with its MessageId, and sends nothing", async () => {
    // Prepare
    const { stack, sns } = suite;
    const client = await Client.connect(stack.tokenUrl());

    // Act
    const published = await sns.send(
      new PublishCommand({
        TopicArn: stack.outputs.input_sns_topic_arn,
        Message: '{"x":1}',
        MessageAttributes: { channel: { DataType: "String", StringValue: "bad//name" } },
      }),
    );
    await eventually("rejection logged", async () =>
      (await readLog(stack.outputs.lambda_log_file)).some(
        (line) => line.message === "SNS message rejected" && line.snsMessageId === published.MessageId,
      ),
    );
    await client.roundTrip();

    // Assess
    expect(client.received).toEqual([{ action: "pong" }]);
    client.close();
  });
});
