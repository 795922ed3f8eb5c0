import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from "@aws-sdk/client-apigatewaymanagementapi";
import { ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { Context, SNSEvent } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { SignJWT } from "jose";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { connectionKey } from "../../src/contract/index.js";
import type { WebSocketEvent } from "../../src/events.js";
import { createDependencies, createHandler, type Dependencies } from "../../src/handler.js";
import type { AuthorizerEvent } from "../../src/routes/authorize.js";
import { secretsManagerFetcher } from "../../src/verifier.js";
import { repoRoot } from "../../util/lib/repo.js";
import { loadEvent } from "../support/fixtures.js";
import { RecordingLog } from "./support/log.js";

const s3 = mockClient(S3Client);
const api = mockClient(ApiGatewayManagementApiClient);
const secrets = mockClient(SecretsManagerClient);
const context = { awsRequestId: "lambda-request-1" } as Context;
const SECRET = "a-test-secret-that-is-long-enough-for-hs256!";
const SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:fanout-prod-token-AbCdEf";
const SENDER = "Ek02Ofq8IAMCEyw="; // broadcast_1.json
const OTHER = "OtherConnId0000=";
const TOPIC_ARN = "arn:aws:sns:us-east-1:082517634284:simple-websocket-testing-dev"; // sns_message_1.json

beforeEach(() => {
  for (const mock of [s3, api, secrets]) mock.reset();
  s3.on(PutObjectCommand).resolves({});
  s3.on(ListObjectsV2Command).resolves({
    // The bucketed layout: the flat-layout listing stops at the first such key, the buckets' listing reads them.
    Contents: [SENDER, OTHER].map((id) => ({ Key: connectionKey("active-connections", id) })),
  });
  api.on(PostToConnectionCommand).resolves({});
  secrets.on(GetSecretValueCommand).resolves({ SecretString: SECRET });
});
afterEach(() => {
  for (const mock of [s3, api, secrets]) mock.reset();
});

/** A handler in token mode over a Secrets Manager secret (the SDK clients mocked), as deployed. */
function setup(env: Record<string, string> = {}) {
  const log = new RecordingLog();
  const deps: Dependencies = {
    ...createDependencies(
      { CONNECTION_BUCKET: "bucket", TOKEN_SECRET_ARN: SECRET_ARN, ...env },
      secretsManagerFetcher(new SecretsManagerClient({ region: "us-east-1" })),
    ),
    log,
  };
  return { handler: createHandler(() => deps), log };
}

function sign(claims: Record<string, unknown>, secret = SECRET): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub: "alice", iat: now, exp: now + 600, ...claims })
    .setProtectedHeader({ alg: "HS256" })
    .sign(new TextEncoder().encode(secret));
}

function authorizerEvent(token?: string): AuthorizerEvent {
  const path = resolve(repoRoot, "test/fixtures/aws-events/authorizer_1.json");
  const event = JSON.parse(readFileSync(path, "utf8")) as AuthorizerEvent;
  event.queryStringParameters = token === undefined ? {} : { token };
  return event;
}

/** A broadcast from SENDER whose connection's authorizer context grants `fanout`. */
function broadcastEvent(message: unknown, fanout?: Record<string, unknown>): WebSocketEvent {
  const event = loadEvent<WebSocketEvent & { requestContext: { authorizer?: unknown } }>("broadcast_1");
  event.body = JSON.stringify({ action: "broadcast", message });
  event.requestContext.routeKey = "broadcast";
  if (fanout !== undefined) {
    event.requestContext.authorizer = { principalId: "alice", sub: "alice", fanout: JSON.stringify(fanout) };
  }
  return event;
}

function sent(): Array<[string | undefined, string]> {
  return api.commandCalls(PostToConnectionCommand).map((call) => {
    const { ConnectionId, Data } = call.args[0].input;
    return [ConnectionId, Buffer.from(Data as Uint8Array).toString("utf8")];
  });
}

describe("the $connect authorizer in the handler", () => {
  it("is recognised before the $connect event it resembles, and allows a valid token with its rights", async () => {
    // Prepare
    const { handler } = setup();
    const token = await sign({ fanout: { broadcast: true } });

    // Act
    const result = await handler(authorizerEvent(token), context);

    // Assess: a policy, not a stored connection
    expect(result).toMatchObject({
      principalId: "alice",
      policyDocument: { Statement: [{ Effect: "Allow", Resource: authorizerEvent().methodArn }] },
      context: { sub: "alice", fanout: JSON.stringify({ broadcast: true, subscribe: [], publish: [] }) },
    });
    expect(s3.commandCalls(PutObjectCommand)).toEqual([]);
    expect(secrets.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({ SecretId: SECRET_ARN });
  });

  it("reads the secret once per execution environment", async () => {
    // Prepare
    const { handler } = setup();
    const token = await sign({});

    // Act
    await handler(authorizerEvent(token), context);
    await handler(authorizerEvent(token), context);

    // Assess
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it.each([
    ["a token signed with another secret", () => sign({}, "another-secret-that-is-long-enough-for-hs256")],
    ["an expired token", () => sign({ exp: Math.floor(Date.now() / 1000) - 3600 })],
    ["an empty token", async () => ""],
  ])(
    "throws Unauthorized (API Gateway: 401) for %s, logging the reason but not the token",
    async (_, make) => {
      // Prepare
      const { handler, log } = setup();
      const token = await make();

      // Act
      const failure = await handler(authorizerEvent(token), context).catch((error: unknown) => error);

      // Assess
      expect((failure as Error).message).toBe("Unauthorized");
      expect(log.lines.some((line) => line.message === "connection refused: token not accepted")).toBe(true);
      if (token !== "") expect(JSON.stringify(log.lines)).not.toContain(token);
    },
  );

  it("fails with another error (API Gateway: 500) while the secret cannot be read, and reads it again next time", async () => {
    // Prepare
    const { handler, log } = setup();
    secrets.on(GetSecretValueCommand).rejectsOnce(new Error("throttled")).resolves({ SecretString: SECRET });
    const token = await sign({});

    // Act
    const failure = await handler(authorizerEvent(token), context).catch((error: unknown) => error);
    const retried = await handler(authorizerEvent(token), context);

    // Assess
    expect((failure as Error).message).not.toBe("Unauthorized");
    expect(log.lines.some((line) => line.message.includes("reading the token secret failed"))).toBe(true);
    expect(retried).toMatchObject({ policyDocument: { Statement: [{ Effect: "Allow" }] } });
  });

  it("denies (API Gateway: 403) an Origin outside the allow-list", async () => {
    // Prepare
    const { handler } = setup({ ALLOWED_ORIGINS: "https://other.example.com" });

    // Act
    const result = await handler(authorizerEvent(await sign({})), context);

    // Assess
    expect(result).toMatchObject({ policyDocument: { Statement: [{ Effect: "Deny" }] } });
  });
});

describe("rights per route", () => {
  it("refuses a broadcast without the right with FORBIDDEN to the sender only", async () => {
    // Prepare
    const { handler } = setup();

    // Act
    const result = await handler(broadcastEvent("hi", { subscribe: ["news/*"] }), context);

    // Assess
    expect(result).toEqual({ statusCode: 200 });
    expect(sent()).toHaveLength(1);
    const [[to, frame] = []] = sent();
    expect(to).toBe(SENDER);
    expect(JSON.parse(frame as string)).toMatchObject({ error: { code: "FORBIDDEN" } });
    expect(s3.commandCalls(ListObjectsV2Command)).toEqual([]);
  });

  it("refuses a broadcast from a connection without an authorizer context (fail closed)", async () => {
    // Prepare
    const { handler } = setup();

    // Act
    await handler(broadcastEvent("hi"), context);

    // Assess
    expect(sent().map(([to, frame]) => [to, JSON.parse(frame).error.code])).toEqual([[SENDER, "FORBIDDEN"]]);
  });

  it("fans out a broadcast whose token grants the right", async () => {
    // Prepare
    const { handler } = setup();

    // Act
    await handler(broadcastEvent("hi", { broadcast: true }), context);

    // Assess
    expect(sent().sort()).toEqual([
      [SENDER, '{"message":"hi"}'],
      [OTHER, '{"message":"hi"}'],
    ]);
  });

  it("takes the right away when client publishing is off", async () => {
    // Prepare
    const { handler } = setup({ CLIENT_PUBLISHING: "false" });

    // Act
    await handler(broadcastEvent("hi", { broadcast: true }), context);

    // Assess
    expect(sent().map(([to, frame]) => [to, JSON.parse(frame).error.code])).toEqual([[SENDER, "FORBIDDEN"]]);
  });

  it("grants every right in open mode", async () => {
    // Prepare
    const { handler } = setup({ AUTH_MODE: "open", TOKEN_SECRET_ARN: "" });

    // Act
    await handler(broadcastEvent("hi"), context);

    // Assess
    expect(sent()).toHaveLength(2);
  });

  it("refuses a broadcast over the stack's cap with PAYLOAD_TOO_LARGE, sending nothing else", async () => {
    // Prepare
    const { handler } = setup({ MAX_BROADCAST_BYTES: "1024" });

    // Act
    await handler(broadcastEvent("a".repeat(1024), { broadcast: true }), context);

    // Assess
    expect(sent().map(([to, frame]) => [to, JSON.parse(frame).error.code])).toEqual([
      [SENDER, "PAYLOAD_TOO_LARGE"],
    ]);
  });
});

describe("forged invocations", () => {
  it("refuses a WebSocket event of another API without answering or fanning out", async () => {
    // Prepare
    const { handler, log } = setup({ AUTH_MODE: "open", TOKEN_SECRET_ARN: "", EXPECTED_API_ID: "abcdef123" });

    // Act
    const result = await handler(broadcastEvent("hi"), context);

    // Assess
    expect(result).toEqual({ statusCode: 403, body: "forbidden" });
    expect(sent()).toEqual([]);
    expect(log.lines).toContainEqual(
      expect.objectContaining({ level: "error", message: expect.stringContaining("names another API") }),
    );
  });

  it("refuses an authorizer event of another API", async () => {
    // Prepare
    const { handler } = setup({ EXPECTED_API_ID: "zzzzzzzzzz" });

    // Act
    const failure = await handler(authorizerEvent(await sign({})), context).catch((error: unknown) => error);

    // Assess
    expect((failure as Error).message).toBe("Unauthorized");
  });

  it("drops SNS records of another topic, delivering the ones of its own", async () => {
    // Prepare
    const { handler, log } = setup({
      AUTH_MODE: "open",
      TOKEN_SECRET_ARN: "",
      INPUT_TOPIC_ARN: TOPIC_ARN,
      MANAGEMENT_ENDPOINT: "https://abc.execute-api.us-east-1.amazonaws.com/prod",
    });
    const event = loadEvent<SNSEvent>("sns_message_1");
    const own = event.Records[0];
    if (own === undefined) throw new Error("fixture has no record");
    const forged = structuredClone(own);
    forged.Sns.TopicArn = "arn:aws:sns:us-east-1:999999999999:someone-elses";
    forged.Sns.Message = '{"forged":true}';
    event.Records = [forged, own];

    // Act
    await handler(event, context);

    // Assess
    expect(sent().every(([, frame]) => frame === own.Sns.Message)).toBe(true);
    expect(sent()).toHaveLength(2);
    expect(log.lines).toContainEqual(
      expect.objectContaining({ message: expect.stringContaining("comes from another topic") }),
    );
  });
});
