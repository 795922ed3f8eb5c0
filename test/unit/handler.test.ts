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
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { Context, SNSEvent, SQSEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bucketOf, connectionKey, MAX_MESSAGE_BYTES } from "../../src/contract/index.js";
import type { WebSocketEvent } from "../../src/events.js";
import { createDependencies, createHandler, type Dependencies } from "../../src/handler.js";
import { SnsDeliveryError } from "../../src/routes/sns.js";
import type { RouteResult } from "../../src/routes/types.js";
import { loadEvent } from "../support/fixtures.js";
import { RecordingLog } from "./support/log.js";
import { connectionIds } from "./support/store.js";

const s3 = mockClient(S3Client);
const api = mockClient(ApiGatewayManagementApiClient);
const sqs = mockClient(SQSClient);
const context = { awsRequestId: "lambda-request-1" } as Context;
const SENDER = "Ek02Ofq8IAMCEyw="; // the connection id in broadcast_1.json
const DERIVED_ENDPOINT = "https://7b8s192d6i.execute-api.us-east-1.amazonaws.com/primary";

beforeEach(() => {
  s3.reset();
  api.reset();
  sqs.reset();
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
 * A handler over the dependencies `createDependencies` builds (use cases, S3 stores, management senders, the shard
 * queue), with the SDK clients mocked. Open mode unless `env` says otherwise: these tests are about the routes;
 * test/unit/auth-handler.test.ts covers tokens.
 */
function setup(env: Record<string, string> = {}) {
  const log = new RecordingLog();
  const real = createDependencies({ CONNECTION_BUCKET: "bucket", AUTH_MODE: "open", ...env });
  const endpoints: string[] = [];
  // The production dependencies, logging to the recorder and noting every @connections endpoint asked for.
  const deps: Dependencies = {
    ...real,
    log,
    senders: {
      for: (endpoint) => {
        endpoints.push(endpoint);
        return real.senders.for(endpoint);
      },
    },
  };
  // Every event here is a WebSocket or SNS event, never an authorizer's.
  const handler = createHandler(() => deps) as (
    event: unknown,
    context: Context | undefined,
  ) => Promise<RouteResult | undefined>;
  return { handler, log, endpoints, deps };
}

/** The stored connections S3 lists (under the default prefix; other listings find nothing). */
function storedConnections(...ids: string[]): void {
  // Answers every listing under the prefix alike: the flat-layout listing stops at the first bucketed key, the
  // buckets' listing reads them all. Membership listings find nothing.
  s3.on(ListObjectsV2Command).callsFake((input: { Prefix?: string }) =>
    input.Prefix?.startsWith("active-connections/")
      ? { Contents: ids.map((id) => ({ Key: connectionKey("active-connections", id) })) }
      : {},
  );
}

/** Every PostToConnection as [recipient, frame text]. */
function sent(): Array<[string | undefined, string]> {
  return api.commandCalls(PostToConnectionCommand).map((call) => {
    const { ConnectionId, Data } = call.args[0].input;
    return [ConnectionId, Buffer.from(Data as Uint8Array).toString("utf8")];
  });
}

/** broadcast_1.json with another body (and optionally route key). */
function messageEvent(body: string | undefined, routeKey = "$default"): WebSocketEvent {
  const event = loadEvent<WebSocketEvent>("broadcast_1");
  event.body = body;
  event.requestContext.routeKey = routeKey;
  return event;
}

describe("$connect", () => {
  it("stores the connection as an empty object and answers 200", async () => {
    // Prepare
    const { handler, log } = setup();

    // Act
    const result = await handler(loadEvent("connect_1"), context);

    // Assess
    expect(result).toEqual({ statusCode: 200 });
    expect(s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input)).toEqual([
      {
        Bucket: "bucket",
        Key: connectionKey("active-connections", "EhbxcdD1IAMCLvQ="),
        Body: "",
        ContentLength: 0,
      },
    ]);
    expect(log.lines).toEqual([
      {
        level: "info",
        message: "connected",
        attributes: {
          requestId: "lambda-request-1",
          connectionId: "EhbxcdD1IAMCLvQ=",
          routeKey: "$connect",
          apiRequestId: "EhbxcGz5IAMFwqQ=",
        },
      },
    ]);
  });

  it("uses the configured prefix", async () => {
    // Prepare
    const { handler } = setup({ CONNECTION_PREFIX: "conns" });

    // Act
    await handler(loadEvent("connect_1"), context);

    // Assess
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input.Key).toBe(
      connectionKey("conns", "EhbxcdD1IAMCLvQ="),
    );
  });

  it("answers 500 and logs why when the store fails, so API Gateway refuses the connection", async () => {
    // Prepare
    s3.on(PutObjectCommand).rejects(Object.assign(new Error("Access Denied"), { name: "AccessDenied" }));
    const { handler, log } = setup();

    // Act
    const result = await handler(loadEvent("connect_1"), context);

    // Assess
    expect(result).toMatchObject({ statusCode: 500 });
    const [line] = log.lines;
    expect(line).toMatchObject({ level: "error", message: "storing the connection failed; refusing it" });
    expect(String(line?.attributes.error)).toContain("AccessDenied");
  });
});

describe("$disconnect", () => {
  it("deletes the connection's key and answers 200", async () => {
    // Prepare
    const { handler, log } = setup();

    // Act
    const result = await handler(loadEvent("disconnect_1"), context);

    // Assess
    expect(result).toEqual({ statusCode: 200 });
    expect(s3.commandCalls(DeleteObjectsCommand).map((call) => call.args[0].input.Delete?.Objects)).toEqual([
      [
        { Key: connectionKey("active-connections", "EhbxcdD1IAMCLvQ=") },
        { Key: "active-connections/EhbxcdD1IAMCLvQ=" },
      ],
    ]);
    expect(log.lines.map((line) => line.message)).toEqual(["disconnected"]);
  });

  it("logs a store failure and answers 500 without throwing", async () => {
    // Prepare
    s3.on(DeleteObjectsCommand).rejects(new Error("SlowDown"));
    const { handler, log } = setup();

    // Act
    const result = await handler(loadEvent("disconnect_1"), context);

    // Assess
    expect(result).toMatchObject({ statusCode: 500 });
    expect(log.lines[0]?.level).toBe("error");
  });
});

describe("broadcast", () => {
  it('delivers {"message": M} to every connection, the sender included, through the derived endpoint', async () => {
    // Prepare
    storedConnections("a=", SENDER, "b=");
    const { handler, log, endpoints } = setup();

    // Act
    const result = await handler(loadEvent("broadcast_1"), context);

    // Assess
    expect(result).toEqual({ statusCode: 200 });
    expect(sent().sort()).toEqual([
      [SENDER, '{"message":"Hello everyone!"}'],
      ["a=", '{"message":"Hello everyone!"}'],
      ["b=", '{"message":"Hello everyone!"}'],
    ]);
    expect(endpoints).toEqual([DERIVED_ENDPOINT]);
    // Without a shard queue the dispatch says so and runs the fan-out here.
    expect(log.lines.map((line) => line.message)).toEqual(["fan-out dispatched", "fan-out done"]);
    expect(log.lines[0]?.attributes).toMatchObject({ audience: "everyone", mode: "inline" });
    expect(log.lines[1]).toMatchObject({ level: "info", message: "fan-out done" });
    expect(log.lines[1]?.attributes).toMatchObject({
      connectionId: SENDER,
      routeKey: "broadcast",
      recipients: 3,
      delivered: 3,
    });
  });

  it("sends through the configured endpoint when there is one", async () => {
    // Prepare
    storedConnections(SENDER);
    const { handler, endpoints } = setup({
      MANAGEMENT_ENDPOINT: "https://abc.execute-api.eu-west-1.amazonaws.com/prod",
    });

    // Act
    await handler(loadEvent("broadcast_1"), context);

    // Assess
    expect(endpoints).toEqual(["https://abc.execute-api.eu-west-1.amazonaws.com/prod"]);
  });

  it("removes a gone recipient's key, not the sender's", async () => {
    // Prepare
    storedConnections(SENDER, "gone=");
    api
      .on(PostToConnectionCommand, { ConnectionId: "gone=" })
      .rejects(Object.assign(new Error(""), { name: "GoneException", $metadata: { httpStatusCode: 410 } }));
    const { handler } = setup();

    // Act
    const result = await handler(loadEvent("broadcast_1"), context);

    // Assess
    expect(result).toEqual({ statusCode: 200 });
    expect(s3.commandCalls(DeleteObjectsCommand).map((call) => call.args[0].input.Delete?.Objects)).toEqual([
      [{ Key: connectionKey("active-connections", "gone=") }, { Key: "active-connections/gone=" }],
    ]);
  });

  it("delivers a frame of exactly 128 KB", async () => {
    // Prepare
    storedConnections(SENDER);
    const message = "a".repeat(MAX_MESSAGE_BYTES - 14);
    const { handler } = setup({ MAX_BROADCAST_BYTES: String(MAX_MESSAGE_BYTES) });

    // Act
    await handler(messageEvent(JSON.stringify({ action: "broadcast", message }), "broadcast"), context);

    // Assess
    expect(sent()).toEqual([[SENDER, JSON.stringify({ message })]]);
  });

  it("tells the sender INTERNAL_ERROR and answers 500 when the store cannot be listed", async () => {
    // Prepare
    s3.on(ListObjectsV2Command).rejects(new Error("InternalError"));
    const { handler, log } = setup();

    // Act
    const result = await handler(loadEvent("broadcast_1"), context);

    // Assess
    expect(result).toMatchObject({ statusCode: 500 });
    expect(sent()).toEqual([[SENDER, expect.stringContaining('"code":"INTERNAL_ERROR"')]]);
    expect(log.find("fan-out incomplete: listing connections failed")).toHaveLength(1);
  });
});

describe("broadcast, unexpected failures", () => {
  it("logs a failure that is not the store's listing and still tells the sender", async () => {
    // Prepare
    const { handler, log, deps } = setup();
    deps.store.pages = () => {
      throw new TypeError("bug");
    };

    // Act
    const result = await handler(loadEvent("broadcast_1"), context);

    // Assess
    expect(result).toMatchObject({ statusCode: 500 });
    expect(log.lines.find((line) => line.level === "error")).toMatchObject({ message: "broadcast failed" });
    expect(sent()).toEqual([[SENDER, expect.stringContaining('"code":"INTERNAL_ERROR"')]]);
  });
});

describe("ping", () => {
  it('answers {"action":"pong"} to the sender only', async () => {
    // Prepare
    storedConnections(SENDER, "other=");
    const { handler, log } = setup();

    // Act
    const result = await handler(messageEvent('{"action":"ping"}', "ping"), context);

    // Assess
    expect(result).toEqual({ statusCode: 200 });
    expect(sent()).toEqual([[SENDER, '{"action":"pong"}']]);
    expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(0);
    expect(log.lines.map((line) => line.message)).toEqual(["pong sent"]);
  });

  it("removes the sender's key when it has gone before the answer", async () => {
    // Prepare
    api
      .on(PostToConnectionCommand)
      .rejects(Object.assign(new Error(""), { name: "Unknown", $metadata: { httpStatusCode: 410 } }));
    const { handler, log } = setup();

    // Act
    const result = await handler(messageEvent('{"action":"ping"}', "ping"), context);

    // Assess
    expect(result).toEqual({ statusCode: 200 });
    expect(s3.commandCalls(DeleteObjectsCommand)[0]?.args[0].input.Delete?.Objects?.[0]?.Key).toBe(
      connectionKey("active-connections", SENDER),
    );
    expect(log.lines.map((line) => line.message)).toEqual(["the sender has gone; removing it"]);
  });

  it("logs, and still answers 200, when the answer fails otherwise or the gone sender cannot be removed", async () => {
    // Prepare
    api
      .on(PostToConnectionCommand)
      .rejectsOnce(Object.assign(new Error("denied"), { name: "ForbiddenException" }))
      .rejectsOnce(Object.assign(new Error(""), { name: "GoneException" }));
    s3.on(DeleteObjectsCommand).rejects(new Error("SlowDown"));
    const { handler, log } = setup();

    // Act
    const results = [
      await handler(messageEvent('{"action":"ping"}', "ping"), context),
      await handler(messageEvent('{"action":"ping"}', "ping"), context),
    ];

    // Assess
    expect(results).toEqual([{ statusCode: 200 }, { statusCode: 200 }]);
    expect(log.lines.map((line) => [line.level, line.message])).toEqual([
      ["error", "answering the sender failed"],
      ["warn", "the sender has gone; removing it"],
      ["warn", "removing the gone sender failed"],
    ]);
  });
});

describe("bad frames and $default", () => {
  const tooLarge = JSON.stringify({ action: "broadcast", message: "é".repeat(65_530) });
  // JSON.stringify recurses and ran out of stack on these (a 500 and a stack trace before MESSAGE_TOO_DEEP).
  const deep = `{"action":"broadcast","message":${"[".repeat(4100)}${"]".repeat(4100)}}`;
  const deepAction = `{"action":${"[".repeat(4100)}${"]".repeat(4100)}}`;
  it.each([
    ["not JSON", "hello", false, "INVALID_JSON"],
    ["an empty body", undefined, false, "INVALID_JSON"],
    ["not an object", "[1,2,3]", false, "NOT_AN_OBJECT"],
    ["no action", '{"message":"hi"}', false, "MISSING_ACTION"],
    ["an unknown action", '{"action":"shout"}', false, "UNKNOWN_ACTION"],
    ["a broadcast without message", '{"action":"broadcast"}', false, "MISSING_MESSAGE"],
    ["a binary frame", "eyJhY3Rpb24iOiJwaW5nIn0=", true, "BINARY_NOT_SUPPORTED"],
    ["a payload over 128 KB once wrapped", tooLarge, false, "PAYLOAD_TOO_LARGE"],
    ["a message nested 4,100 levels deep (8 KB)", deep, false, "MESSAGE_TOO_DEEP"],
    ["an action nested 4,100 levels deep", deepAction, false, "UNKNOWN_ACTION"],
  ])("answers %s with %s to the sender only", async (_label, body, binary, code) => {
    // Prepare
    storedConnections(SENDER, "other=");
    const event = messageEvent(body);
    event.isBase64Encoded = binary;
    const { handler, log } = setup();

    // Act
    const result = await handler(event, context);

    // Assess
    expect(result).toEqual({ statusCode: 200 });
    const frames = sent();
    expect(frames).toHaveLength(1);
    expect(frames[0]?.[0]).toBe(SENDER);
    const answer = JSON.parse(frames[0]?.[1] ?? "");
    expect(answer).toEqual({ error: { code, message: expect.any(String) } });
    expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(0);
    expect(log.lines).toEqual([
      expect.objectContaining({
        level: "warn",
        message: "frame rejected",
        attributes: expect.objectContaining({ code }),
      }),
    ]);
  });

  it("serves a valid action that reached $default (the body decides, as route selection does)", async () => {
    // Prepare
    const { handler } = setup();

    // Act
    await handler(messageEvent('{"action":"ping"}', "$default"), context);

    // Assess
    expect(sent()).toEqual([[SENDER, '{"action":"pong"}']]);
  });

  it("answers 500 and logs when a route fails unexpectedly", async () => {
    // Prepare
    const { handler, log, deps } = setup();
    deps.senders = {
      for: () => {
        throw new Error("bug");
      },
    };

    // Act
    const result = await handler(messageEvent('{"action":"ping"}', "ping"), context);

    // Assess
    expect(result).toEqual({ statusCode: 500, body: "internal error" });
    expect(log.lines[0]).toMatchObject({ level: "error", message: "unexpected failure" });
  });
});

describe("SNS", () => {
  const ENDPOINT = { MANAGEMENT_ENDPOINT: "https://abc.execute-api.us-east-1.amazonaws.com/prod" };

  /** sns_message_1.json with one record per message, each with its own MessageId. */
  function snsEvent(...messages: unknown[]): SNSEvent {
    const event = loadEvent<SNSEvent>("sns_message_1");
    const template = event.Records[0];
    if (template === undefined) throw new Error("fixture has no record");
    event.Records = messages.map((message, index) => {
      const record = structuredClone(template);
      record.Sns.Message = message as string;
      record.Sns.MessageId = `message-${index + 1}`;
      return record;
    });
    return event;
  }

  it("delivers the message unchanged to every connection through the configured endpoint", async () => {
    // Prepare
    storedConnections("a=", "b=");
    const { handler, endpoints, log } = setup(ENDPOINT);

    // Act
    const result = await handler(loadEvent("sns_message_1"), context);

    // Assess
    expect(result).toBeUndefined();
    expect(sent().sort()).toEqual([
      ["a=", '{"hello": "world"}'],
      ["b=", '{"hello": "world"}'],
    ]);
    expect(endpoints).toEqual([ENDPOINT.MANAGEMENT_ENDPOINT]);
    expect(log.lines.find((line) => line.message === "fan-out done")?.attributes).toMatchObject({
      snsMessageId: "09a10504-fa09-5b7c-838c-5c9917b73e72",
      requestId: "lambda-request-1",
      delivered: 2,
    });
  });

  it("handles every record, skipping and logging the bad ones by MessageId", async () => {
    // Prepare
    storedConnections("a=");
    const event = snsEvent(
      '{"n":1}',
      "not json",
      JSON.stringify("x".repeat(MAX_MESSAGE_BYTES)),
      undefined,
      '{"n":2}',
    );
    const { handler, log } = setup(ENDPOINT);

    // Act
    const result = await handler(event, context);

    // Assess
    expect(result).toBeUndefined();
    expect(sent()).toEqual([
      ["a=", '{"n":1}'],
      ["a=", '{"n":2}'],
    ]);
    const rejected = log.find("SNS message rejected");
    expect(rejected.map((line) => line.attributes.snsMessageId)).toEqual([
      "message-2",
      "message-3",
      "message-4",
    ]);
    expect(rejected.map((line) => line.level)).toEqual(["error", "error", "error"]);
    expect(String(rejected[0]?.attributes.reason)).toContain("not JSON");
    expect(String(rejected[1]?.attributes.reason)).toContain(`at most ${MAX_MESSAGE_BYTES} bytes`);
    expect(log.lines.every((line) => line.attributes.requestId === "lambda-request-1")).toBe(true);
  });

  it("does not throw when no record is good", async () => {
    // Prepare
    const { handler, log } = setup(ENDPOINT);

    // Act
    const result = await handler(snsEvent("nope"), context);

    // Assess
    expect(result).toBeUndefined();
    expect(sent()).toEqual([]);
    expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(0);
    expect(log.find("SNS message rejected")).toHaveLength(1);
  });

  it("logs and skips the event when no management endpoint is configured", async () => {
    // Prepare
    storedConnections("a=");
    const { handler, log } = setup();

    // Act
    const result = await handler(loadEvent("sns_message_1"), context);

    // Assess
    expect(result).toBeUndefined();
    expect(sent()).toEqual([]);
    expect(log.lines).toEqual([
      expect.objectContaining({
        level: "error",
        message: expect.stringContaining("MANAGEMENT_ENDPOINT is not set"),
        attributes: expect.objectContaining({ snsMessageIds: ["09a10504-fa09-5b7c-838c-5c9917b73e72"] }),
      }),
    ]);
  });

  it("tries every record, then throws SnsDeliveryError when the store could not be listed", async () => {
    // Prepare
    s3.on(ListObjectsV2Command)
      .rejectsOnce(new Error("InternalError"))
      .resolves({ Contents: [{ Key: connectionKey("active-connections", "a=") }] });
    const { handler } = setup(ENDPOINT);

    // Act
    const failure = await handler(snsEvent('{"n":1}', '{"n":2}'), context).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(SnsDeliveryError);
    expect((failure as SnsDeliveryError).messageIds).toEqual(["message-1"]);
    expect(sent()).toEqual([["a=", '{"n":2}']]);
  });
});

/** The captured-shape SQS event with its one job edited. */
function shardEvent(edit: (job: Record<string, unknown>) => void = () => {}, messageId?: string) {
  const event = loadEvent<SQSEvent>("sqs_shard_1");
  const record = event.Records[0] as SQSEvent["Records"][number];
  const job = JSON.parse(record.body) as Record<string, unknown>;
  edit(job);
  record.body = JSON.stringify(job);
  if (messageId) record.messageId = messageId;
  return event;
}

describe("SQS: fan-out shards", () => {
  it("lists its buckets only and sends the job's frame to them, reporting no failure", async () => {
    // Prepare: one id in the job's buckets (0-15), one outside
    const inside = connectionIds(400).find((id) => bucketOf(id) < 16) as string;
    const outside = connectionIds(400).find((id) => bucketOf(id) >= 16) as string;
    storedConnections(inside, outside);
    const { handler, log, endpoints } = setup();

    // Act
    const result = await handler(shardEvent(), context);

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(sent()).toEqual([[inside, '{"message":"Hello everyone!"}']]);
    expect(endpoints).toEqual([DERIVED_ENDPOINT]);
    expect(s3.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input.StartAfter)).toEqual([
      undefined, // the flat layout's keys: this shard starts the store
      "active-connections/~00",
    ]);
    expect(log.find("fan-out done")[0]?.attributes).toMatchObject({
      audience: "everyone",
      shard: "1/16",
      buckets: "0-15",
      dispatchId: "Ek02PHbEIAMFTSg=",
      sqsMessageId: "059f36b4-87a3-44ab-83d2-661975830a7d",
      recipients: 1,
      delivered: 1,
    });
  });

  it("reports only the failed record: a malformed job and a failed listing, each on its own", async () => {
    // Prepare
    s3.on(ListObjectsV2Command).rejects(new Error("InternalError"));
    const event = shardEvent();
    const bad = shardEvent((job) => {
      job.range = { from: 9, to: 3 };
    }, "bad-1");
    event.Records.push(...bad.Records);
    const { handler, log } = setup();

    // Act
    const result = await handler(event, context);

    // Assess
    expect(result).toEqual({
      batchItemFailures: [
        { itemIdentifier: "059f36b4-87a3-44ab-83d2-661975830a7d" },
        { itemIdentifier: "bad-1" },
      ],
    });
    expect(log.lines.map((line) => [line.level, line.message])).toEqual([
      ["error", "fan-out incomplete: listing connections failed"],
      ["error", "shard job rejected; it will go to the dead-letter queue"],
    ]);
  });

  it("sends through the configured endpoint rather than the job's", async () => {
    // Prepare
    storedConnections(SENDER);
    const { handler, endpoints } = setup({
      MANAGEMENT_ENDPOINT: "https://abc.execute-api.eu-west-1.amazonaws.com/prod",
    });

    // Act
    await handler(
      shardEvent((job) => void Object.assign(job, { range: { from: 0, to: 256 } })),
      context,
    );

    // Assess
    expect(endpoints).toEqual(["https://abc.execute-api.eu-west-1.amazonaws.com/prod"]);
  });
});

describe("broadcast with a shard queue", () => {
  it("enqueues one message per shard and answers 200 without sending, when the audience is large", async () => {
    // Prepare: 1,001 stored connections, more than FANOUT_INLINE_MAX (1,000)
    storedConnections(...connectionIds(1001));
    sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const { handler, log } = setup({
      SHARD_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/082517634284/fanout-primary-shards",
      FANOUT_SHARDS: "4",
    });

    // Act
    const result = await handler(loadEvent("broadcast_1"), context);

    // Assess
    expect(result).toEqual({ statusCode: 200 });
    expect(sent()).toEqual([]);
    const entries = sqs
      .commandCalls(SendMessageBatchCommand)
      .flatMap((call) => call.args[0].input.Entries ?? []);
    expect(entries.map((entry) => JSON.parse(entry.MessageBody ?? "").range)).toEqual([
      { from: 0, to: 64 },
      { from: 64, to: 128 },
      { from: 128, to: 192 },
      { from: 192, to: 256 },
    ]);
    expect(log.lines.map((line) => line.message)).toEqual(["fan-out dispatched"]);
    expect(log.lines[0]?.attributes).toMatchObject({
      mode: "sharded",
      shards: 4,
      probed: 1001,
      routeKey: "broadcast",
    });
  });
});

describe("unknown events", () => {
  it.each([
    ["an S3 notification", { Records: [{ eventSource: "aws:s3" }] }],
    ["an empty object", {}],
    ["null", null],
  ])("logs %s as unrecognised and answers 400 without throwing", async (_label, event) => {
    // Prepare
    const { handler, log } = setup();

    // Act
    const result = await handler(event, context);

    // Assess
    expect(result).toEqual({ statusCode: 400, body: "unrecognised event" });
    expect(log.lines).toEqual([
      expect.objectContaining({ level: "error", message: expect.stringContaining("unrecognised event") }),
    ]);
  });

  it("clears the invocation's keys afterwards", async () => {
    // Prepare
    const { handler, log } = setup();
    await handler(loadEvent("connect_1"), context);

    // Act
    await handler({}, undefined);

    // Assess
    expect(log.lines[1]?.attributes).toEqual({ eventKeys: [], requestId: undefined });
  });
});
