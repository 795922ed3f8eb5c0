import { DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { SendMessageBatchCommand } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { connectionKey, MAX_MESSAGE_BYTES } from "../../../src/contract/index.js";
import { loadEvent } from "../../support/fixtures.js";
import { mockAws } from "../support/aws.js";
import { ANSWERS } from "../support/connections.js";
import { context, DERIVED_ENDPOINT, messageEvent, SENDER, setupHandler } from "../support/handler.js";
import { connectionIds } from "../support/store.js";

/** The WebSocket adapter through the handler, over the real dependencies (open mode: tokens are elsewhere). */
const aws = mockAws();
const OPEN = { AUTH_MODE: "open" };

describe("$connect", () => {
  it("stores the connection as an empty object and answers 200", async () => {
    // Prepare
    const { handler, log } = setupHandler(OPEN);

    // Act
    const result = await handler(loadEvent("connect_1"), context);

    // Assess
    expect(result).toEqual({ statusCode: 200 });
    expect(aws.s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input)).toEqual([
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
    const { handler } = setupHandler({ ...OPEN, CONNECTION_PREFIX: "conns" });

    // Act
    await handler(loadEvent("connect_1"), context);

    // Assess
    expect(aws.s3.commandCalls(PutObjectCommand)[0]?.args[0].input.Key).toBe(
      connectionKey("conns", "EhbxcdD1IAMCLvQ="),
    );
  });

  it("answers 500 and logs why when the store fails, so API Gateway refuses the connection", async () => {
    // Prepare
    aws.s3.on(PutObjectCommand).rejects(Object.assign(new Error("Access Denied"), { name: "AccessDenied" }));
    const { handler, log } = setupHandler(OPEN);

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
    const { handler, log } = setupHandler(OPEN);

    // Act
    const result = await handler(loadEvent("disconnect_1"), context);

    // Assess
    expect(result).toEqual({ statusCode: 200 });
    expect(
      aws.s3.commandCalls(DeleteObjectsCommand).map((call) => call.args[0].input.Delete?.Objects),
    ).toEqual([
      [
        { Key: connectionKey("active-connections", "EhbxcdD1IAMCLvQ=") },
        { Key: "active-connections/EhbxcdD1IAMCLvQ=" },
      ],
    ]);
    expect(log.lines.map((line) => line.message)).toEqual(["disconnected"]);
  });

  it("logs a store failure and answers 500 without throwing", async () => {
    // Prepare
    aws.s3.on(DeleteObjectsCommand).rejects(new Error("SlowDown"));
    const { handler, log } = setupHandler(OPEN);

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
    aws.storedConnections("a=", SENDER, "b=");
    const { handler, log, endpoints } = setupHandler(OPEN);

    // Act
    const result = await handler(loadEvent("broadcast_1"), context);

    // Assess
    expect(result).toEqual({ statusCode: 200 });
    expect(aws.sent().sort()).toEqual([
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
    aws.storedConnections(SENDER);
    const { handler, endpoints } = setupHandler({
      ...OPEN,
      MANAGEMENT_ENDPOINT: "https://abc.execute-api.eu-west-1.amazonaws.com/prod",
    });

    // Act
    await handler(loadEvent("broadcast_1"), context);

    // Assess
    expect(endpoints).toEqual(["https://abc.execute-api.eu-west-1.amazonaws.com/prod"]);
  });

  it("removes a gone recipient's key, not the sender's", async () => {
    // Prepare
    aws.storedConnections(SENDER, "gone=");
    aws.connections.answer("gone=", ANSWERS.gone);
    const { handler } = setupHandler(OPEN);

    // Act
    const result = await handler(loadEvent("broadcast_1"), context);

    // Assess
    expect(result).toEqual({ statusCode: 200 });
    expect(
      aws.s3.commandCalls(DeleteObjectsCommand).map((call) => call.args[0].input.Delete?.Objects),
    ).toEqual([[{ Key: connectionKey("active-connections", "gone=") }, { Key: "active-connections/gone=" }]]);
  });

  it("delivers a frame of exactly 128 KB", async () => {
    // Prepare
    aws.storedConnections(SENDER);
    const message = "a".repeat(MAX_MESSAGE_BYTES - 14);
    const { handler } = setupHandler({ ...OPEN, MAX_CLIENT_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES) });

    // Act
    await handler(messageEvent(JSON.stringify({ action: "broadcast", message }), "broadcast"), context);

    // Assess
    expect(aws.sent()).toEqual([[SENDER, JSON.stringify({ message })]]);
  });

  it("tells the sender INTERNAL_ERROR and answers 500 when the store cannot be listed", async () => {
    // Prepare
    aws.s3.on(ListObjectsV2Command).rejects(new Error("InternalError"));
    const { handler, log } = setupHandler(OPEN);

    // Act
    const result = await handler(loadEvent("broadcast_1"), context);

    // Assess
    expect(result).toMatchObject({ statusCode: 500 });
    expect(aws.sent()).toEqual([[SENDER, expect.stringContaining('"code":"INTERNAL_ERROR"')]]);
    expect(log.find("fan-out incomplete: listing connections failed")).toHaveLength(1);
  });
});

describe("broadcast, unexpected failures", () => {
  it("logs a failure that is not the store's listing and still tells the sender", async () => {
    // Prepare
    const { handler, log, deps } = setupHandler(OPEN);
    deps.store.pages = () => {
      throw new TypeError("bug");
    };

    // Act
    const result = await handler(loadEvent("broadcast_1"), context);

    // Assess
    expect(result).toMatchObject({ statusCode: 500 });
    expect(log.lines.find((line) => line.level === "error")).toMatchObject({ message: "broadcast failed" });
    expect(aws.sent()).toEqual([[SENDER, expect.stringContaining('"code":"INTERNAL_ERROR"')]]);
  });
});

describe("ping", () => {
  it('answers {"action":"pong"} to the sender only', async () => {
    // Prepare
    aws.storedConnections(SENDER, "other=");
    const { handler, log } = setupHandler(OPEN);

    // Act
    const result = await handler(messageEvent('{"action":"ping"}', "ping"), context);

    // Assess
    expect(result).toEqual({ statusCode: 200 });
    expect(aws.sent()).toEqual([[SENDER, '{"action":"pong"}']]);
    expect(aws.s3.commandCalls(ListObjectsV2Command)).toHaveLength(0);
    expect(log.lines.map((line) => line.message)).toEqual(["pong sent"]);
  });

  it("removes the sender's key when it has gone before the answer", async () => {
    // Prepare
    aws.connections.answerNext(ANSWERS.bare410);
    const { handler, log } = setupHandler(OPEN);

    // Act
    const result = await handler(messageEvent('{"action":"ping"}', "ping"), context);

    // Assess
    expect(result).toEqual({ statusCode: 200 });
    expect(aws.s3.commandCalls(DeleteObjectsCommand)[0]?.args[0].input.Delete?.Objects?.[0]?.Key).toBe(
      connectionKey("active-connections", SENDER),
    );
    expect(log.lines.map((line) => line.message)).toEqual(["the sender has gone; removing it"]);
  });

  it("logs, and still answers 200, when the answer fails otherwise or the gone sender cannot be removed", async () => {
    // Prepare
    aws.connections.answerNext(ANSWERS.forbidden, ANSWERS.gone);
    aws.s3.on(DeleteObjectsCommand).rejects(new Error("SlowDown"));
    const { handler, log } = setupHandler(OPEN);

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
    aws.storedConnections(SENDER, "other=");
    const event = messageEvent(body);
    event.isBase64Encoded = binary;
    const { handler, log } = setupHandler(OPEN);

    // Act
    const result = await handler(event, context);

    // Assess
    expect(result).toEqual({ statusCode: 200 });
    const frames = aws.sent();
    expect(frames).toHaveLength(1);
    expect(frames[0]?.[0]).toBe(SENDER);
    const answer = JSON.parse(frames[0]?.[1] ?? "");
    expect(answer).toEqual({ error: { code, message: expect.any(String) } });
    expect(aws.s3.commandCalls(ListObjectsV2Command)).toHaveLength(0);
    expect(log.lines).toEqual([
      expect.objectContaining({
        level: "warn",
        message: "frame rejected",
        attributes: expect.objectContaining({ code }),
      }),
    ]);
  });

  it("answers 500 and logs when a route fails unexpectedly", async () => {
    // Prepare
    const { handler, log, deps } = setupHandler(OPEN);
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

describe("broadcast with a shard queue", () => {
  it("enqueues one message per shard and answers 200 without sending, when the audience is large", async () => {
    // Prepare: 1,001 stored connections, more than FANOUT_INLINE_MAX (1,000)
    aws.storedConnections(...connectionIds(1001));
    aws.sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
    const { handler, log } = setupHandler({
      ...OPEN,
      SHARD_QUEUE_URL: "https://sqs.us-east-1.amazonaws.com/082517634284/fanout-primary-shards",
      FANOUT_SHARDS: "4",
    });

    // Act
    const result = await handler(loadEvent("broadcast_1"), context);

    // Assess
    expect(result).toEqual({ statusCode: 200 });
    expect(aws.sent()).toEqual([]);
    const entries = aws.sqs
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
