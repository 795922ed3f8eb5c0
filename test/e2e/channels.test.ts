import { ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_SUBSCRIPTIONS_PER_CONNECTION } from "../../src/channels.js";
import {
  CHANNEL_MEMBERS_PREFIX,
  CONNECTION_CHANNELS_PREFIX,
  encodeKeySegment,
  memberKey,
  reverseKey,
} from "../../src/membership-keys.js";
import {
  Client,
  connectMany,
  eventually,
  readLog,
  s3Client,
  snsClient,
  startTestStack,
  storedConnectionIds,
  type TestStack,
} from "../support/stack.js";

/** The frames a client received that came through a channel (`{"channel",...}` deliveries). */
function deliveries(
  client: Client,
  channel?: string,
): Array<{ channel: string; message: unknown; id: string }> {
  return client.received.filter(
    (f): f is { channel: string; message: unknown; id: string } =>
      typeof f === "object" &&
      f !== null &&
      "channel" in f &&
      "message" in f &&
      (channel === undefined || (f as { channel: unknown }).channel === channel),
  );
}

/**
 * Polls until `check` holds, for up to `ms`: the 20 x 50 test stores 1,000 memberships through 4 Lambda
 * environments, which takes longer than the support's 15 s bound on a shared 2-core machine.
 */
async function until(what: string, check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const is = (expected: unknown) => (frame: unknown) => JSON.stringify(frame) === JSON.stringify(expected);

describe("channels through the local stack", () => {
  let stack: TestStack;
  let s3: S3Client;
  let sns: SNSClient;

  beforeAll(async () => {
    stack = await startTestStack();
    s3 = s3Client(stack);
    sns = snsClient(stack);
  });

  afterAll(async () => {
    s3?.destroy();
    sns?.destroy();
    await stack?.dispose();
  });

  /** Every key under a prefix of the bucket. */
  async function keysUnder(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({
          Bucket: stack.outputs.connection_bucket,
          Prefix: prefix,
          ContinuationToken: token,
        }),
      );
      for (const object of page.Contents ?? []) keys.push(object.Key ?? "");
      token = page.NextContinuationToken;
    } while (token);
    return keys;
  }

  /** The membership keys (both indexes) that name a connection. */
  async function membershipKeysOf(connectionId: string): Promise<string[]> {
    const encoded = encodeKeySegment(connectionId);
    const members = (await keysUnder(`${CHANNEL_MEMBERS_PREFIX}/`)).filter((key) =>
      key.endsWith(`/${encoded}`),
    );
    return [...members, ...(await keysUnder(`${CONNECTION_CHANNELS_PREFIX}/${encoded}/`))];
  }

  /** Connects one client and learns its connection id from the store. */
  async function connectOne(): Promise<{ client: Client; id: string }> {
    const before = await storedConnectionIds(stack, s3);
    const client = await Client.connect(stack.tokenUrl());
    const [id] = (await storedConnectionIds(stack, s3)).filter((each) => !before.includes(each));
    if (id === undefined) throw new Error("the new connection was not stored");
    return { client, id };
  }

  async function subscribe(client: Client, channel: string): Promise<void> {
    const from = client.received.length;
    client.send({ action: "subscribe", channel });
    await client.next(is({ action: "subscribed", channel }), from);
  }

  it("delivers a publish to the channel's subscribers only, the sender acknowledged with its id", async () => {
    // Prepare
    const [member, other, bystander] = (await connectMany(stack.tokenUrl(), 3)) as [Client, Client, Client];
    await subscribe(member, "news/sport");
    await subscribe(other, "news");

    // Act
    member.send({ action: "publish", channel: "news/sport", message: { score: 1 }, id: "req-1" });
    await member.next(is({ channel: "news/sport", message: { score: 1 }, id: "req-1" }));
    await Promise.all([member, other, bystander].map((c) => c.roundTrip()));

    // Assess
    expect(member.received).toContainEqual({ action: "accepted", id: "req-1" });
    expect(deliveries(member)).toEqual([{ channel: "news/sport", message: { score: 1 }, id: "req-1" }]);
    expect(deliveries(other)).toEqual([]);
    expect(deliveries(bystander)).toEqual([]);
    for (const client of [member, other, bystander]) client.close();
  });

  it("stops delivering after an unsubscribe, which is idempotent", async () => {
    // Prepare
    const [leaver, stayer] = (await connectMany(stack.tokenUrl(), 2)) as [Client, Client];
    await subscribe(leaver, "room-1");
    await subscribe(stayer, "room-1");

    // Act
    leaver.send({ action: "unsubscribe", channel: "room-1" });
    leaver.send({ action: "unsubscribe", channel: "room-1" });
    await leaver.next(
      () => leaver.received.filter(is({ action: "unsubscribed", channel: "room-1" })).length === 2,
    );
    stayer.send({ action: "publish", channel: "room-1", message: "after" });
    await stayer.next(() => deliveries(stayer).length === 1);
    await leaver.roundTrip();

    // Assess
    expect(leaver.received.filter(is({ action: "unsubscribed", channel: "room-1" }))).toHaveLength(2);
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
    const { client, id } = await connectOne();
    for (const channel of ["a", "b/c", "d.e"]) await subscribe(client, channel);
    const stored = await membershipKeysOf(id);

    // Act
    client.ws.close(1000, "done");
    await eventually("memberships removed", async () => (await membershipKeysOf(id)).length === 0);

    // Assess
    expect(stored).toHaveLength(6);
    expect(await membershipKeysOf(id)).toEqual([]);
    expect(await storedConnectionIds(stack, s3)).not.toContain(id);
  });

  it("removes a dead member (410) from every channel on the next publish, and still delivers to the others", async () => {
    // Prepare: a connection that vanished without $disconnect left its keys behind
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
    await eventually("dead member removed", async () => (await membershipKeysOf(dead)).length === 0);

    // Assess
    expect(await membershipKeysOf(dead)).toEqual([]);
    expect(await storedConnectionIds(stack, s3)).not.toContain(dead);
    live.close();
  });

  it("refuses an invalid or missing channel with an error frame carrying its context, storing nothing", async () => {
    // Prepare
    const { client, id } = await connectOne();

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
    expect(await membershipKeysOf(id)).toEqual([]);
    client.close();
  });

  it("sends an SNS message with a channel attribute to that channel as {channel, message, id: MessageId}", async () => {
    // Prepare
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
    await member.next(is({ channel: "game-42/score", message: { home: 3 }, id: withChannel.MessageId }));
    await Promise.all([member, bystander].map((c) => c.next(is({ to: "all" }))));
    await bystander.roundTrip();

    // Assess
    expect(deliveries(member)).toEqual([
      { channel: "game-42/score", message: { home: 3 }, id: withChannel.MessageId },
    ]);
    expect(deliveries(bystander)).toEqual([]);
    // Without the attribute: the body unchanged, to everyone.
    expect(bystander.raw.map((frame) => frame.data.toString("utf8"))).toContain('{"to": "all"}');
    expect(withoutChannel.MessageId).toBeDefined();
    member.close();
    bystander.close();
  });

  it("lets a token's patterns decide: a refused subscribe or publish is FORBIDDEN, stores nothing and sends nothing", async () => {
    // Prepare: a reader of news/* that may publish nowhere, and a member of sport/x who would see a stray publish
    const before = await storedConnectionIds(stack, s3);
    const reader = await Client.connect(
      stack.tokenUrl({ broadcast: false, subscribe: ["news/*"], publish: [] }),
    );
    const [readerId] = (await storedConnectionIds(stack, s3)).filter((each) => !before.includes(each));
    const { client: member } = await connectOne();
    await subscribe(member, "sport/x");

    // Act
    await subscribe(reader, "news/eu");
    reader.send({ action: "subscribe", channel: "sport/x" });
    reader.send({ action: "publish", channel: "sport/x", message: "stray", id: "p-1" });
    // Each frame is its own invocation, answered in any order, the ping's pong included.
    const refusals = () => reader.received.filter((f) => typeof f === "object" && f !== null && "error" in f);
    await until("both refusals", () => refusals().length >= 2, 15_000);
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
    expect(await membershipKeysOf(readerId ?? "")).toEqual([
      memberKey("news/eu", readerId ?? ""),
      reverseKey(readerId ?? "", "news/eu"),
    ]);
    reader.close();
    member.close();
  });

  it("logs an SNS message with an invalid channel attribute with its MessageId, and sends nothing", async () => {
    // Prepare
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

  it("holds 20 channels of 50 members among 100 clients: each client receives exactly its 10 channels", async () => {
    // Prepare: client i joins channels i..i+9 (mod 20), so every channel has exactly 50 members
    const clients = await connectMany(stack.tokenUrl(), 100);
    const channelsOf = (index: number) => Array.from({ length: 10 }, (_, j) => `load/${(index + j) % 20}`);
    const subscribed = (client: Client) =>
      client.received.filter((f) => (f as { action?: unknown }).action === "subscribed").length;
    for (const [index, client] of clients.entries()) {
      for (const channel of channelsOf(index)) client.send({ action: "subscribe", channel });
    }
    await until(
      "1,000 subscriptions acknowledged",
      () => clients.every((c) => subscribed(c) === 10),
      170_000,
    );
    const publisher = clients[0] as Client;

    // Act
    for (let channel = 0; channel < 20; channel++) {
      publisher.send({
        action: "publish",
        channel: `load/${channel}`,
        message: channel,
        id: `load-${channel}`,
      });
    }
    await until("every delivery", () => clients.every((c) => deliveries(c).length >= 10), 60_000);
    await Promise.all(clients.map((client) => client.roundTrip()));

    // Assess
    for (const [index, client] of clients.entries()) {
      const got = deliveries(client).map((frame) => `${frame.channel} ${frame.id}`);
      expect(got.sort()).toEqual(
        channelsOf(index)
          .map((c) => `${c} load-${c.slice(5)}`)
          .sort(),
      );
      expect(client.received.filter((f) => typeof f === "object" && f !== null && "error" in f)).toEqual([]);
    }
    for (const client of clients) client.close();
  }, 300_000);

  it(`stores ${MAX_SUBSCRIPTIONS_PER_CONNECTION} concurrent subscribes of one connection, then refuses one more`, async () => {
    // Prepare
    const { client, id } = await connectOne();
    const channels = Array.from({ length: MAX_SUBSCRIPTIONS_PER_CONNECTION }, (_, index) => `many/${index}`);

    // Act: all at once, so the Lambda runs them side by side
    for (const channel of channels) client.send({ action: "subscribe", channel });
    await client.next(
      () =>
        client.received.filter((f) => (f as { action?: unknown }).action === "subscribed").length ===
        channels.length,
    );
    client.send({ action: "subscribe", channel: "many/one-too-many" });
    const refused = await client.next((f) => typeof f === "object" && f !== null && "error" in f);

    // Assess
    expect(refused).toEqual({
      error: {
        code: "TOO_MANY_SUBSCRIPTIONS",
        message: expect.stringContaining(`most allowed is ${MAX_SUBSCRIPTIONS_PER_CONNECTION}`),
        action: "subscribe",
        channel: "many/one-too-many",
      },
    });
    const reverse = await keysUnder(`${CONNECTION_CHANNELS_PREFIX}/${encodeKeySegment(id)}/`);
    expect(reverse.sort()).toEqual(channels.map((channel) => reverseKey(id, channel)).sort());
    for (const channel of channels) expect(await keysUnder(memberKey(channel, id))).toHaveLength(1);
    client.close();
  }, 120_000);
});
