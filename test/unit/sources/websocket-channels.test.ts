import { DeleteObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { ALL_RIGHTS, memberKey, type Rights } from "../../../src/contract/index.js";
import { loadEvent } from "../../support/fixtures.js";
import { mockAws } from "../support/aws.js";
import { CONFIGURED_ENDPOINT, context, messageEvent, SENDER, setupHandler } from "../support/handler.js";

/** The rights the adapter's `rightsOf` answers in this file: the seam the token wiring fills in. */
const rights = vi.hoisted(() => ({ current: undefined as Rights | undefined }));
vi.mock("../../../src/auth/rights.js", async (importOriginal) => ({
  ...(await importOriginal<typeof import("../../../src/auth/rights.js")>()),
  rightsOf: () => rights.current,
}));

const aws = mockAws();

beforeEach(() => {
  rights.current = ALL_RIGHTS;
});

/** The handler over the real dependencies (no shard queue: every fan-out inline), with a configured endpoint. */
function setupChannelHandler() {
  return setupHandler({ MANAGEMENT_ENDPOINT: CONFIGURED_ENDPOINT, AUTH_MODE: "open" });
}

describe("channel actions through the handler", () => {
  it("stores a subscription as its reverse key, then its member key, then acknowledges", async () => {
    // Prepare
    const { handler } = setupChannelHandler();
    // Act
    const result = await handler(messageEvent('{"action":"subscribe","channel":"news/x.y"}'), context);
    // Assess
    expect(result).toEqual({ statusCode: 200 });
    expect(aws.putKeys()).toEqual([
      "connection-channels/Ek02Ofq8IAMCEyw%3D/news%2Fx%2Ey",
      "channel-members/news%2Fx%2Ey/~e7/Ek02Ofq8IAMCEyw%3D",
    ]);
    expect(aws.sent()).toEqual([[SENDER, '{"action":"subscribed","channel":"news/x.y"}']]);
  });

  it("refuses with FORBIDDEN what rightsOf does not grant: nothing stored, nothing sent to the channel", async () => {
    // Prepare
    rights.current = { broadcast: false, subscribe: ["public/*"], publish: ["public/*"] };
    const { handler } = setupChannelHandler();
    // Act
    await handler(messageEvent('{"action":"subscribe","channel":"private/x"}'), context);
    await handler(messageEvent('{"action":"publish","channel":"private/x","message":1,"id":"p1"}'), context);
    // Assess
    expect(aws.putKeys()).toEqual([]);
    expect(aws.s3.commandCalls(ListObjectsV2Command)).toHaveLength(0);
    expect(aws.sent().map(([to, text]) => [to, JSON.parse(text).error])).toEqual([
      [
        SENDER,
        {
          code: "FORBIDDEN",
          message: expect.stringContaining('"fanout.subscribe"'),
          action: "subscribe",
          channel: "private/x",
        },
      ],
      [
        SENDER,
        {
          code: "FORBIDDEN",
          message: expect.stringContaining('"fanout.publish"'),
          action: "publish",
          channel: "private/x",
          id: "p1",
        },
      ],
    ]);
  });

  it("publishes to the listing of that channel's member prefix only", async () => {
    // Prepare
    aws.s3.on(ListObjectsV2Command, { Prefix: "channel-members/news/" }).resolves({
      Contents: [{ Key: memberKey("news", "a=") }, { Key: memberKey("news", "b+/") }],
    });
    const { handler } = setupChannelHandler();
    // Act
    await handler(
      messageEvent('{"action":"publish","channel":"news","message":{"n":1},"id":"r-1"}'),
      context,
    );
    // Assess
    expect(aws.s3.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input.Prefix)).toEqual([
      "channel-members/news/",
    ]);
    expect(aws.sent()).toEqual([
      [SENDER, '{"action":"accepted","id":"r-1"}'],
      ["a=", '{"channel":"news","message":{"n":1},"id":"r-1"}'],
      ["b+/", '{"channel":"news","message":{"n":1},"id":"r-1"}'],
    ]);
  });

  it("broadcasts with an id as {message, id} after an acknowledgement, and without one exactly as before", async () => {
    // Prepare
    aws.s3.on(ListObjectsV2Command, { Prefix: "active-connections/" }).resolves({
      Contents: [{ Key: "active-connections/a=" }],
    });
    const { handler } = setupChannelHandler();
    // Act
    await handler(messageEvent('{"action":"broadcast","message":"hi","id":"b-1"}'), context);
    await handler(messageEvent('{"action":"broadcast","message":"hi"}'), context);
    // Assess
    expect(aws.sent()).toEqual([
      [SENDER, '{"action":"accepted","id":"b-1"}'],
      ["a=", '{"message":"hi","id":"b-1"}'],
      ["a=", '{"message":"hi"}'],
    ]);
  });

  it("removes every membership of a closed connection on $disconnect: member keys, reverse keys, member keys again", async () => {
    // Prepare
    aws.s3.on(ListObjectsV2Command, { Prefix: "connection-channels/EhbxcdD1IAMCLvQ%3D/" }).resolves({
      Contents: [
        { Key: "connection-channels/EhbxcdD1IAMCLvQ%3D/a" },
        { Key: "connection-channels/EhbxcdD1IAMCLvQ%3D/b%2Fc" },
      ],
    });
    const { handler } = setupChannelHandler();
    // Act
    const result = await handler(loadEvent("disconnect_1"), context);
    // Assess
    expect(result).toEqual({ statusCode: 200 });
    const batches = aws.deletedBatches();
    expect(batches).toEqual([
      // The connection's key in both layouts (the flat one until CONNECTION_FLAT_KEYS is false), then memberships.
      ["active-connections/~4e/EhbxcdD1IAMCLvQ=", "active-connections/EhbxcdD1IAMCLvQ="],
      ["channel-members/a/~4e/EhbxcdD1IAMCLvQ%3D", "channel-members/b%2Fc/~4e/EhbxcdD1IAMCLvQ%3D"],
      ["connection-channels/EhbxcdD1IAMCLvQ%3D/a", "connection-channels/EhbxcdD1IAMCLvQ%3D/b%2Fc"],
      // Again, after the reverse keys: a subscribe that was writing meanwhile (docs/channels.md).
      ["channel-members/a/~4e/EhbxcdD1IAMCLvQ%3D", "channel-members/b%2Fc/~4e/EhbxcdD1IAMCLvQ%3D"],
    ]);
    // Both layouts' keys go in the one batch above, so no single-key delete is left.
    expect(aws.s3.commandCalls(DeleteObjectCommand)).toEqual([]);
  });
});
