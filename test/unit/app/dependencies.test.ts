import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { Context } from "aws-lambda";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { createDependencies } from "../../../src/app/dependencies.js";
import { ConnectionsSenders } from "../../../src/aws/connections.js";
import { S3ConnectionStore } from "../../../src/stores/connections.js";
import { S3MembershipStore } from "../../../src/stores/memberships.js";
import { loadEvent } from "../../support/fixtures.js";

const s3 = mockClient(S3Client);
const context = { awsRequestId: "lambda-request-1" } as Context;

beforeAll(() => {
  // Powertools reads its level from the environment; keep test output clean.
  vi.stubEnv("POWERTOOLS_LOG_LEVEL", "SILENT");
  vi.stubEnv("AWS_REGION", "us-east-1");
  s3.on(PutObjectCommand).resolves({});
});
afterAll(() => {
  vi.unstubAllEnvs();
  s3.restore();
});

/** The bundle's entry point and the error class of the same module instance (`instanceof` needs both fresh). */
let handler: typeof import("../../../src/index.js").handler;
let ConfigError: typeof import("../../../src/app/config.js").ConfigError;

// app/dependencies.ts caches the dependencies at module level, as a warm Lambda does. A fresh module instance per test
// is a cold start each time, so no test sees what another one cached, in any order (`--sequence.shuffle`).
beforeEach(async () => {
  vi.resetModules();
  ({ handler } = await import("../../../src/index.js"));
  ({ ConfigError } = await import("../../../src/app/config.js"));
});

describe("handler (the bundle's entry point)", () => {
  it("fails with a ConfigError naming the variable, then reads the configuration again on the next event", async () => {
    // Prepare
    vi.stubEnv("AUTH_MODE", "open");
    vi.stubEnv("CONNECTION_BUCKET", "");
    const failure = await handler(loadEvent("connect_1"), context).catch((error: unknown) => error);
    vi.stubEnv("CONNECTION_BUCKET", "bucket");

    // Act
    const result = await handler(loadEvent("connect_1"), context);

    // Assess
    expect(failure).toBeInstanceOf(ConfigError);
    expect((failure as InstanceType<typeof ConfigError>).variable).toBe("CONNECTION_BUCKET");
    expect(result).toEqual({ statusCode: 200 });
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input).toMatchObject({ Bucket: "bucket" });
  });

  it("keeps the dependencies of the first good event for later (warm) invocations", async () => {
    // Prepare: a good event first, on a cold module
    vi.stubEnv("AUTH_MODE", "open");
    vi.stubEnv("CONNECTION_BUCKET", "bucket");
    await handler(loadEvent("connect_1"), context);
    vi.stubEnv("CONNECTION_BUCKET", "another-bucket");

    // Act
    await handler(loadEvent("connect_1"), context);

    // Assess
    expect(s3.commandCalls(PutObjectCommand).at(-1)?.args[0].input).toMatchObject({ Bucket: "bucket" });
  });
});

describe("createDependencies", () => {
  it("builds the S3 stores (connections decorated with membership cleanup), the senders and the pace from the environment", () => {
    // Prepare
    const env = {
      CONNECTION_BUCKET: "b",
      CONNECTION_PREFIX: "p",
      S3_FORCE_PATH_STYLE: "true",
      AUTH_MODE: "open",
    };

    // Act
    const deps = createDependencies({ ...env, FANOUT_SHARD_RATE: "500" });
    const unpaced = createDependencies(env);

    // Assess
    expect(deps.config).toMatchObject({
      connectionBucket: "b",
      connectionPrefix: "p",
      s3ForcePathStyle: true,
    });
    expect(deps.memberships).toBeInstanceOf(S3MembershipStore);
    // withMembershipCleanup wraps the S3 connection store; the wrapper is a plain ConnectionStore.
    expect(deps.store).not.toBeInstanceOf(S3ConnectionStore);
    expect(Object.keys(deps.store).sort()).toEqual(["add", "pages", "remove", "removeMany"]);
    expect(deps.senders).toBeInstanceOf(ConnectionsSenders);
    // The shard pace lives with the dependencies, one per execution environment; FANOUT_SHARD_RATE=0 is unpaced.
    expect(deps.pace).toBeTypeOf("function");
    expect(unpaced.pace).toBeUndefined();
  });

  it("throws the ConfigError for a malformed variable", () => {
    // Prepare
    const env = { CONNECTION_BUCKET: "b", FANOUT_CONCURRENCY: "lots" };

    // Act
    const build = () => createDependencies(env);

    // Assess
    expect(build).toThrow(/FANOUT_CONCURRENCY: must be a whole number/);
  });
});
