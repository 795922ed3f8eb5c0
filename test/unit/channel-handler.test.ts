import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from "@aws-sdk/client-apigatewaymanagementapi";
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import type { Context, SNSEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Capabilities } from "../../src/capabilities.js";
import { ALL_RIGHTS, connectionKey, memberKey } from "../../src/contract/index.js";
import type { WebSocketEvent } from "../../src/events.js";
import { createDependencies, createHandler, type Dependencies } from "../../src/handler.js";
import { loadEvent } from "../support/fixtures.js";
import { RecordingLog } from "./support/log.js";

/** The rights the handler's `rightsFor` answers in this file: the seam the token wiring fills in. */
const rights = vi.hoisted(() => ({ current: undefined as Capabilities | undefined }));
vi.mock("../../src/rights.js", () => ({
  rightsFor: () => rights.current,
}));

const s3 = mockClient(S3Client);
const api = mockClient(ApiGatewayManagementApiClient);
const context = { awsRequestId: "lambda-request-1" } as Context;
const SENDER = "Ek02Ofq8IAMCEyw="; // the connection id in broadcast_1.json
const ENDPOINT = "https://abc.execute-api.us-east-1.amazonaws.com/prod";

beforeEach(() => {
  rights.current = ALL_RIGHTS;
  s3.reset();
  api.reset();
  s3.on(PutObjectCommand).resolves({});
  s3.on(DeleteObjectCommand).resolves({});
  s3.on(DeleteObjectsCommand).resolves({});
  s3.on(ListObjectsV2Command).resolves({});
  api.on(PostToConnectionCommand).resolves({});
});
afterEach(() => {
  s3.reset();
  api.reset();
});

/**
 * A handler over the dependencies `createDependencies` builds (no shard queue: every fan-out inline), logging to a
 * recorder, with the SDK clients mocked.
 */
function setup() {
  const log = new RecordingLog();
  const deps: Dependencies = {
    ...createDependencies({ CONNECTION_BUCKET: "bucket", MANAGEMENT_ENDPOINT: ENDPOINT, AUTH_MODE: "open" }),
    log,
  };
  return { handler: createHandler(() => deps), log };
}

function messageEvent(body: string): WebSocketEvent {
  const event = loadEvent<WebSocketEvent>("broadcast_1");
  event.body = body;
  return event;
}

function sent(): Array<[string | undefined, string]> {
  return api.commandCalls(PostToConnectionCommand).map((call) => {
    const { ConnectionId, Data } = call.args[0].input;
    return [ConnectionId, Buffer.from(Data as Uint8Array).toString("utf8")];
  });
}

function putKeys(): Array<string | undefined> {
  return s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input.Key);
}

describe("channel actions through the handler", () => {
  it("stores a subscription as its reverse key, then its member key, then acknowledges", async () => {
    // Prepare
    const { handler } = setup();
    // Act
    const result = await handler(messageEvent('{"action":"subscribe","channel":"news/x.y"}'), context);
    // Assess
    expect(result).toEqual({ statusCode: 200 });
    expect(putKeys()).toEqual([
      "connection-channels/Ek02Ofq8IAMCEyw%3D/news%2Fx%2Ey",
      "channel-members/news%2Fx%2Ey/~e7/Ek02Ofq8IAMCEyw%3D",
    ]);
    expect(sent()).toEqual([[SENDER, '{"action":"subscribed","channel":"news/x.y"}']]);
  });

  it("refuses with FORBIDDEN what rightsFor does not grant: nothing stored, nothing sent to the channel", async () => {
    // Prepare
    rights.current = { broadcast: false, subscribe: ["public/*"], publish: ["public/*"] };
    const { handler } = setup();
    // Act
    await handler(messageEvent('{"action":"subscribe","channel":"private/x"}'), context);
    await handler(messageEvent('{"action":"publish","channel":"private/x","message":1,"id":"p1"}'), context);
    // Assess
    expect(putKeys()).toEqual([]);
    expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(0);
    expect(sent().map(([to, text]) => [to, JSON.parse(text).error])).toEqual([
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
    s3.on(ListObjectsV2Command, { Prefix: "channel-members/news/" }).resolves({
      Contents: [{ Key: memberKey("news", "a=") }, { Key: memberKey("news", "b+/") }],
    });
    const { handler } = setup();
    // Act
    await handler(
      messageEvent('{"action":"publish","channel":"news","message":{"n":1},"id":"r-1"}'),
      context,
    );
    // Assess
    expect(s3.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input.Prefix)).toEqual([
      "channel-members/news/",
    ]);
    expect(sent()).toEqual([
      [SENDER, '{"action":"accepted","id":"r-1"}'],
      ["a=", '{"channel":"news","message":{"n":1},"id":"r-1"}'],
      ["b+/", '{"channel":"news","message":{"n":1},"id":"r-1"}'],
    ]);
  });

  it("broadcasts with an id as {message, id} after an acknowledgement, and without one exactly as before", async () => {
    // Prepare
    s3.on(ListObjectsV2Command, { Prefix: "active-connections/" }).resolves({
      Contents: [{ Key: "active-connections/a=" }],
    });
    const { handler } = setup();
    // Act
    await handler(messageEvent('{"action":"broadcast","message":"hi","id":"b-1"}'), context);
    await handler(messageEvent('{"action":"broadcast","message":"hi"}'), context);
    // Assess
    expect(sent()).toEqual([
      [SENDER, '{"action":"accepted","id":"b-1"}'],
      ["a=", '{"message":"hi","id":"b-1"}'],
      ["a=", '{"message":"hi"}'],
    ]);
  });

  it("removes every membership of a closed connection on $disconnect, member keys before reverse keys", async () => {
    // Prepare
    s3.on(ListObjectsV2Command, { Prefix: "connection-channels/EhbxcdD1IAMCLvQ%3D/" }).resolves({
      Contents: [
        { Key: "connection-channels/EhbxcdD1IAMCLvQ%3D/a" },
        { Key: "connection-channels/EhbxcdD1IAMCLvQ%3D/b%2Fc" },
      ],
    });
    const { handler } = setup();
    // Act
    const result = await handler(loadEvent("disconnect_1"), context);
    // Assess
    expect(result).toEqual({ statusCode: 200 });
    const batches = s3
      .commandCalls(DeleteObjectsCommand)
      .map((call) => call.args[0].input.Delete?.Objects?.map((object) => object.Key));
    expect(batches).toEqual([
      // The connection's key in both layouts (the flat one until CONNECTION_FLAT_KEYS is false), then memberships.
      ["active-connections/~4e/EhbxcdD1IAMCLvQ=", "active-connections/EhbxcdD1IAMCLvQ="],
      ["channel-members/a/~4e/EhbxcdD1IAMCLvQ%3D", "channel-members/b%2Fc/~4e/EhbxcdD1IAMCLvQ%3D"],
      ["connection-channels/EhbxcdD1IAMCLvQ%3D/a", "connection-channels/EhbxcdD1IAMCLvQ%3D/b%2Fc"],
    ]);
    // Both layouts' keys go in the one batch above, so no single-key delete is left.
    expect(s3.commandCalls(DeleteObjectCommand)).toEqual([]);
  });
});

describe("SNS with a channel attribute", () => {
  function snsEvent(attributes: SNSEvent["Records"][number]["Sns"]["MessageAttributes"]): SNSEvent {
    const event = loadEvent<SNSEvent>("sns_message_1");
    const record = event.Records[0];
    if (record === undefined) throw new Error("fixture has no record");
    record.Sns.MessageAttributes = attributes;
    return event;
  }
  const MESSAGE_ID = "09a10504-fa09-5b7c-838c-5c9917b73e72";

  it("sends {channel, message, id: MessageId} to the channel's members only", async () => {
    // Prepare
    s3.on(ListObjectsV2Command, { Prefix: "channel-members/game-42%2Fscore/" }).resolves({
      Contents: [{ Key: memberKey("game-42/score", "a=") }],
    });
    s3.on(ListObjectsV2Command, { Prefix: "active-connections/" }).resolves({
      Contents: [
        { Key: connectionKey("active-connections", "a=") },
        { Key: connectionKey("active-connections", "b=") },
      ],
    });
    const { handler } = setup();
    // Act
    await handler(snsEvent({ channel: { Type: "String", Value: "game-42/score" } }), context);
    // Assess
    expect(sent()).toEqual([
      ["a=", `{"channel":"game-42/score","message":{"hello":"world"},"id":"${MESSAGE_ID}"}`],
    ]);
  });

  it.each([
    ["an invalid name", { Type: "String", Value: "news//x" }, "the channel attribute is invalid"],
    ["a Number attribute", { Type: "Number", Value: "42" }, "type Number"],
  ])("logs %s with the MessageId and skips the record", async (_name, attribute, reason) => {
    // Prepare
    s3.on(ListObjectsV2Command, { Prefix: "active-connections/" }).resolves({
      Contents: [{ Key: "active-connections/a=" }],
    });
    const { handler, log } = setup();
    // Act
    const result = await handler(snsEvent({ channel: attribute }), context);
    // Assess
    expect(result).toBeUndefined();
    expect(sent()).toEqual([]);
    const [rejected] = log.find("SNS message rejected");
    expect(rejected?.attributes).toMatchObject({ snsMessageId: MESSAGE_ID });
    expect(String(rejected?.attributes.reason)).toContain(reason);
  });

  it("sends a message without the attribute to everyone, body unchanged", async () => {
    // Prepare
    s3.on(ListObjectsV2Command, { Prefix: "active-connections/" }).resolves({
      Contents: [{ Key: "active-connections/a=" }],
    });
    const { handler } = setup();
    // Act
    await handler(snsEvent({ other: { Type: "String", Value: "x" } }), context);
    // Assess
    expect(sent()).toEqual([["a=", '{"hello": "world"}']]);
  });
});
