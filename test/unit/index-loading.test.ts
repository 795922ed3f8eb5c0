import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { loadEvent } from "../support/fixtures.js";
import { RecordingLog } from "./support/log.js";
import { authorizerEvent, signToken, TEST_SECRET } from "./support/tokens.js";

beforeAll(() => {
  vi.stubEnv("POWERTOOLS_LOG_LEVEL", "SILENT");
  vi.stubEnv("AWS_REGION", "us-east-1");
  vi.stubEnv("CONNECTION_BUCKET", "bucket");
  vi.stubEnv("TOKEN_SECRET", TEST_SECRET);
});
afterAll(() => {
  vi.unstubAllEnvs();
});

/** Which of the modules only some events need were loaded, and the events each adapter got. */
let loaded: Set<string>;
let handled: Array<[string, unknown]>;
let entry: typeof import("../../src/index.js");

// A fresh module graph per test: each test is a cold start. The full dependencies and the non-authorizer adapters
// are stand-ins that record their loading; the authorizer's side is real.
beforeEach(async () => {
  vi.resetModules();
  loaded = new Set();
  handled = [];
  vi.doMock("../../src/app/dependencies.js", () => {
    loaded.add("dependencies");
    return { dependencies: () => ({ log: new RecordingLog() }) };
  });
  for (const name of ["websocket", "sns", "sqs"]) {
    vi.doMock(`../../src/sources/${name}.js`, () => {
      loaded.add(name);
      return {
        handle: async (_deps: unknown, event: unknown) => {
          handled.push([name, event]);
          return { statusCode: 200 };
        },
      };
    });
  }
  entry = await import("../../src/index.js");
});

describe("the bundle's entry (index.ts)", () => {
  it("answers a $connect authorizer event loading neither the full dependencies nor another adapter", async () => {
    // Prepare
    const event = authorizerEvent(await signToken());
    // Act
    const result = await entry.handler(event, undefined);
    // Assess
    expect(result).toMatchObject({
      principalId: "alice",
      policyDocument: { Statement: [{ Effect: "Allow" }] },
    });
    expect([...loaded]).toEqual([]);
  });

  it("hands every other event to its source's adapter, each loaded on its first event", async () => {
    // Prepare
    const connect = loadEvent("connect_1");
    const shard = loadEvent("sqs_shard_1");
    // Act
    const results = [await entry.handler(connect, undefined), await entry.handler(shard, undefined)];
    // Assess
    expect(results).toEqual([{ statusCode: 200 }, { statusCode: 200 }]);
    expect([...loaded].sort()).toEqual(["dependencies", "sqs", "websocket"]);
    expect(handled).toEqual([
      ["websocket", connect],
      ["sqs", shard],
    ]);
  });
});
