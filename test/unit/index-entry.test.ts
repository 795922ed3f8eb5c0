import { SignJWT } from "jose";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { loadEvent } from "../support/fixtures.js";

const SECRET = "an-entry-test-secret-of-at-least-32-bytes";

beforeAll(() => {
  vi.stubEnv("POWERTOOLS_LOG_LEVEL", "SILENT");
  vi.stubEnv("AWS_REGION", "us-east-1");
  vi.stubEnv("CONNECTION_BUCKET", "bucket");
  vi.stubEnv("TOKEN_SECRET", SECRET);
});
afterAll(() => {
  vi.unstubAllEnvs();
});

/** Whether the full handler's module was loaded, and the events it got. */
let fullHandler: { loaded: boolean; events: unknown[] };
let entry: typeof import("../../src/index.js");

// A fresh module graph per test: each test is a cold start, and the full handler a stand-in that records loading.
beforeEach(async () => {
  vi.resetModules();
  fullHandler = { loaded: false, events: [] };
  vi.doMock("../../src/handler.js", () => {
    fullHandler.loaded = true;
    return {
      handler: async (event: unknown) => {
        fullHandler.events.push(event);
        return { statusCode: 200 };
      },
    };
  });
  entry = await import("../../src/index.js");
});

function token(): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ sub: "alice", iat: now, exp: now + 600 })
    .setProtectedHeader({ alg: "HS256" })
    .sign(new TextEncoder().encode(SECRET));
}

describe("the bundle's entry (index.ts)", () => {
  it("answers a $connect authorizer event without loading the full handler (no S3, SQS or @connections)", async () => {
    // Prepare
    const event = loadEvent<{ queryStringParameters: Record<string, string> }>("authorizer_1");
    event.queryStringParameters = { token: await token() };
    // Act
    const result = await entry.handler(event, undefined);
    // Assess
    expect(result).toMatchObject({
      principalId: "alice",
      policyDocument: { Statement: [{ Effect: "Allow" }] },
    });
    expect(fullHandler.loaded).toBe(false);
  });

  it("hands every other event to the full handler, loaded on the first one", async () => {
    // Prepare
    const connect = loadEvent("connect_1");
    const shard = loadEvent("sqs_shard_1");
    // Act
    const results = [await entry.handler(connect, undefined), await entry.handler(shard, undefined)];
    // Assess
    expect(results).toEqual([{ statusCode: 200 }, { statusCode: 200 }]);
    expect(fullHandler.loaded).toBe(true);
    expect(fullHandler.events).toEqual([connect, shard]);
  });
});
