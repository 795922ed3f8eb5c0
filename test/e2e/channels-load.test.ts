import { describe, expect, it } from "vitest";
import {
  CONNECTION_CHANNELS_PREFIX,
  encodeKeySegment,
  MAX_SUBSCRIPTIONS_PER_CONNECTION,
  memberKey,
  reverseKey,
} from "../../src/contract/index.js";
import { deliveries } from "../support/channels.js";
import { connectWithId, keysUnder, useStack } from "../support/stack.js";
import { eventually } from "../support/wait.js";
import { type Client, connectMany, isErrorFrame } from "../support/ws-client.js";

/**
 * Channels at scale and at their limits: 1,000 memberships through 4 Lambda environments, and one connection's
 * subscriptions at the maximum. The polls wait longer than the support's 15 s bound on a shared 2-core machine.
 */
describe("channels under load and at their limits, through the local stack", () => {
  const suite = useStack();

  it("holds 20 channels of 50 members among 100 clients: each client receives exactly its 10 channels", async () => {
    // Prepare: client i joins channels i..i+9 (mod 20), so every channel has exactly 50 members
    const { stack } = suite;
    const clients = await connectMany(stack.tokenUrl(), 100);
    const channelsOf = (index: number) => Array.from({ length: 10 }, (_, j) => `load/${(index + j) % 20}`);
    const subscribed = (client: Client) =>
      client.received.filter((f) => (f as { action?: unknown }).action === "subscribed").length;
    for (const [index, client] of clients.entries()) {
      for (const channel of channelsOf(index)) client.send({ action: "subscribe", channel });
    }
    await eventually(
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
    await eventually("every delivery", () => clients.every((c) => deliveries(c).length >= 10), 60_000);
    await Promise.all(clients.map((client) => client.roundTrip()));

    // Assess
    for (const [index, client] of clients.entries()) {
      const got = deliveries(client).map((frame) => `${frame.channel} ${frame.id}`);
      expect(got.sort()).toEqual(
        channelsOf(index)
          .map((c) => `${c} load-${c.slice(5)}`)
          .sort(),
      );
      expect(client.received.filter(isErrorFrame)).toEqual([]);
    }
    for (const client of clients) client.close();
  }, 300_000);

  it(`stores ${MAX_SUBSCRIPTIONS_PER_CONNECTION} concurrent subscribes of one connection, then refuses one more`, async () => {
    // Prepare
    const { stack, s3 } = suite;
    const { client, id } = await connectWithId(stack, s3);
    const channels = Array.from({ length: MAX_SUBSCRIPTIONS_PER_CONNECTION }, (_, index) => `many/${index}`);

    // Act: all at once, so the Lambda runs them side by side
    for (const channel of channels) client.send({ action: "subscribe", channel });
    await client.next(
      () =>
        client.received.filter((f) => (f as { action?: unknown }).action === "subscribed").length ===
        channels.length,
    );
    client.send({ action: "subscribe", channel: "many/one-too-many" });
    const refused = await client.next(isErrorFrame);

    // Assess
    expect(refused).toEqual({
      error: {
        code: "TOO_MANY_SUBSCRIPTIONS",
        message: expect.stringContaining(`most allowed is ${MAX_SUBSCRIPTIONS_PER_CONNECTION}`),
        action: "subscribe",
        channel: "many/one-too-many",
      },
    });
    const reverse = await keysUnder(stack, s3, `${CONNECTION_CHANNELS_PREFIX}/${encodeKeySegment(id)}/`);
    expect(reverse.sort()).toEqual(channels.map((channel) => reverseKey(id, channel)).sort());
    for (const channel of channels)
      expect(await keysUnder(stack, s3, memberKey(channel, id))).toHaveLength(1);
    client.close();
  }, 120_000);
});
