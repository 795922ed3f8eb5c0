import { DeleteConnectionCommand } from "@aws-sdk/client-apigatewaymanagementapi";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { createClient } from "../../client/src/index.js";
import { memberKey } from "../../src/contract/index.js";
import { deliveries, storedMemberships, subscribe } from "../support/channels.js";
import { connectWithId, readLog, storedConnectionIds, useStack } from "../support/stack.js";
import { eventually } from "../support/wait.js";
import { Client, isFrame } from "../support/ws-client.js";

/** Channels per client: well under the 50-subscription limit, so that no request is refused for it. */
const CHANNELS = 20;

/** The acknowledgements (`subscribed`, `unsubscribed`) a client got. */
function acknowledgements(client: Client): unknown[] {
  return client.received.filter((frame) => {
    const action = (frame as { action?: unknown }).action;
    return action === "subscribed" || action === "unsubscribed";
  });
}

/** The access log's records of the connections `ids`, by route key. */
async function routed(logFile: string, ids: readonly string[], routeKey: string): Promise<number> {
  const records = await readLog(logFile);
  return records.filter((r) => r.routeKey === routeKey && ids.includes(String(r.connectionId))).length;
}

describe("faults: membership changes that race each other, through the local stack", () => {
  const suite = useStack();

  it("subscribe and unsubscribe of one channel sent back to back, 100 pairs: no member key without its reverse key, deliveries exactly where a member key is, no key after the disconnect", async () => {
    // Prepare: 5 connections of 20 pairs each; each frame is its own invocation, 4 environments run them at once.
    const { stack, s3 } = suite;
    const joined: Array<{ client: Client; id: string }> = [];
    for (let index = 0; index < 5; index++) joined.push(await connectWithId(stack, s3));
    const publisher = suite.track((await connectWithId(stack, s3)).client);
    const ids = joined.map((each) => each.id);
    const channels = Array.from({ length: CHANNELS }, (_, index) => `pairs/${index}`);

    // Act: every pair back to back, as a raw client sends an app's subscribe and quick leave
    for (const { client } of joined) {
      for (const channel of channels) {
        client.send({ action: "subscribe", channel });
        client.send({ action: "unsubscribe", channel });
      }
    }
    for (const { client } of joined)
      await eventually("both answers of every pair", () => acknowledgements(client).length === 2 * CHANNELS);
    const afterPairs = await storedMemberships(stack, s3, ids);
    for (const channel of channels) {
      const from = publisher.received.length;
      publisher.send({ action: "publish", channel, message: "after the pairs", id: "after-pairs" });
      await publisher.next(isFrame({ action: "accepted", id: "after-pairs" }), from);
    }
    await publisher.roundTrip();
    await Promise.all(joined.map(({ client }) => client.roundTrip()));
    for (const { client } of joined) client.close();
    await eventually("every $disconnect ran", async () => {
      return (await routed(stack.outputs.access_log_file, ids, "$disconnect")) === joined.length;
    });

    // Assess: whatever order the two ran in, every member key has its reverse key (the requests of one connection
    // run side by side, so a pair may end subscribed: the client library asks again, see the next test), each
    // connection got exactly the publishes of the channels it still held, and its disconnect removed everything.
    expect(afterPairs.filter((each) => each.member && !each.reverse)).toEqual([]);
    expect(joined.map(({ client }) => deliveries(client).length)).toEqual(
      ids.map((id) => afterPairs.filter((each) => each.connectionId === id && each.member).length),
    );
    expect(await storedMemberships(stack, s3, ids)).toEqual([]);
  });

  it("through the client library, 20 channels joined and left back to back: both promises resolve, no membership stays and the app gets nothing", async () => {
    // Prepare
    const { stack, s3 } = suite;
    const before = await storedConnectionIds(stack, s3);
    const library = suite.track(createClient({ url: stack.tokenUrl() }));
    const messages: unknown[] = [];
    library.on("message", (message) => messages.push(message));
    await eventually("the library's connection is open", () => library.state === "open");
    const [id] = (await storedConnectionIds(stack, s3)).filter((each) => !before.includes(each));
    const publisher = suite.track(await Client.connect(stack.tokenUrl()));
    const channels = Array.from({ length: CHANNELS }, (_, index) => `library/${index}`);
    for (const channel of channels) await subscribe(publisher, channel);

    // Act
    await Promise.all(
      channels.flatMap((channel) => [library.subscribe(channel), library.unsubscribe(channel)]),
    );
    await eventually("the library asked again for what was answered in the opposite order", async () => {
      return (await storedMemberships(stack, s3, [id as string])).length === 0;
    });
    for (const channel of channels) publisher.send({ action: "publish", channel, message: "after leaving" });
    await eventually("the publisher's own copies", () => deliveries(publisher).length === CHANNELS);
    await publisher.roundTrip();

    // Assess
    expect(library.channels.size).toBe(0);
    expect(await storedMemberships(stack, s3, [id as string])).toEqual([]);
    expect(messages).toEqual([]);
  });

  it("16 connections reset in the middle of 20 subscribes each (8 TCP resets, 8 @connections DELETEs) leave no key at all", async () => {
    // Prepare
    const { stack, s3, api } = suite;
    const victims: Array<{ client: Client; id: string }> = [];
    for (let index = 0; index < 16; index++) victims.push(await connectWithId(stack, s3));
    const ids = victims.map((each) => each.id);

    // Act: 20 subscribes each; once the first is acknowledged the rest are in flight, and the connection goes
    await Promise.all(
      victims.map(async ({ client, id }, index) => {
        for (let channel = 0; channel < CHANNELS; channel++)
          client.send({ action: "subscribe", channel: `reset/${channel}` });
        await client.next((frame) => (frame as { action?: unknown }).action === "subscribed");
        if (index % 2 === 0) client.ws.terminate();
        else await api.send(new DeleteConnectionCommand({ ConnectionId: id }));
      }),
    );
    await eventually(
      "every subscribe and every $disconnect ran",
      async () =>
        (await routed(stack.outputs.access_log_file, ids, "subscribe")) === victims.length * CHANNELS &&
        (await routed(stack.outputs.access_log_file, ids, "$disconnect")) === victims.length,
      30_000,
    );

    // Assess: neither a membership key nor a connection key of any of them
    expect(await storedMemberships(stack, s3, ids)).toEqual([]);
    expect((await storedConnectionIds(stack, s3)).filter((id) => ids.includes(id))).toEqual([]);
  });

  it("removes a member key left without its reverse key (by the former write order) the first time a publish finds its connection gone", async () => {
    // Prepare: a connection that has gone left a member key and nothing else (no cleanup can find it)
    const { stack, s3 } = suite;
    const dead = "OrphanConnAAAA0=";
    await s3.send(
      new PutObjectCommand({
        Bucket: stack.outputs.connection_bucket,
        Key: memberKey("orphans", dead),
        Body: "",
        ContentLength: 0,
      }),
    );
    const live = suite.track(await Client.connect(stack.tokenUrl()));
    await subscribe(live, "orphans");

    // Act
    live.send({ action: "publish", channel: "orphans", message: "find it" });
    await live.next(() => deliveries(live, "orphans").length === 1);
    await eventually("the lone member key removed", async () => {
      return (await storedMemberships(stack, s3, [dead])).length === 0;
    });

    // Assess
    expect(await storedMemberships(stack, s3, [dead])).toEqual([]);
  });
});
