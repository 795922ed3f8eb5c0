import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { unzipSync } from "fflate";
import { SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectionKey } from "../../src/contract/index.js";
import { measureFirstInvocations } from "../../util/bench/scenarios/first-invocation.js";
import { buildLambdaBundle, type LambdaBundle } from "../../util/build/lambda-bundle.js";
import { loadEvent } from "../support/fixtures.js";

const run = promisify(execFile);

/** One request the S3 stand-in received. */
interface ReceivedRequest {
  method: string;
  path: string;
  bodyBytes: number;
}

/** A tiny S3 on 127.0.0.1: answers every request 200 and records it. */
async function startS3StandIn(): Promise<{ server: Server; url: string; received: ReceivedRequest[] }> {
  const received: ReceivedRequest[] = [];
  const server = createServer((request, response) => {
    let bodyBytes = 0;
    request.on("data", (chunk: Buffer) => {
      bodyBytes += chunk.length;
    });
    request.on("end", () => {
      const path = decodeURIComponent(new URL(request.url ?? "/", "http://127.0.0.1").pathname);
      received.push({ method: request.method ?? "", path, bodyBytes });
      response.writeHead(200, { ETag: '"d41d8cd98f00b204e9800998ecf8427e"' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

/** What a fresh process that imported the bundle and answered one event reports. */
interface Invocation {
  result: unknown;
  /** The bundle's files the process loaded (`index.mjs` and chunks), by name. */
  loadedFiles: string[];
  /** `process.moduleLoadList`: the Node builtins (and their internals) the process loaded. */
  builtins: string[];
}

/**
 * Imports the bundle in a fresh Node process, as Lambda does, and invokes its handler once with `event`. A module
 * resolution hook records which of the bundle's files load. The handler logs to stdout, so the report travels on
 * its own marked line.
 */
async function invokeBundle(
  entryFile: string,
  event: unknown,
  env: Record<string, string>,
): Promise<Invocation> {
  const script = `
    import { registerHooks } from "node:module";
    const loaded = [];
    registerHooks({ resolve(specifier, context, next) {
      const resolved = next(specifier, context);
      if (resolved.url.startsWith("file:")) loaded.push(resolved.url.slice(resolved.url.lastIndexOf("/") + 1));
      return resolved;
    } });
    const { handler } = await import(${JSON.stringify(pathToFileURL(entryFile).href)});
    const context = { awsRequestId: "bundle-test-request", functionName: "fanout-test", getRemainingTimeInMillis: () => 30000 };
    const result = await handler(JSON.parse(process.env.TEST_EVENT), context);
    const report = { result, loadedFiles: [...new Set(loaded)], builtins: process.moduleLoadList };
    process.stdout.write("\\nRESULT " + JSON.stringify(report) + "\\n");
    process.exit(0);`;
  const { stdout } = await run(process.execPath, ["--input-type=module", "--eval", script], {
    env: { PATH: process.env.PATH ?? "", ...env, TEST_EVENT: JSON.stringify(event) },
    timeout: 30_000,
  });
  const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (line === undefined) throw new Error(`the handler printed no result; stdout was:\n${stdout}`);
  return JSON.parse(line.slice("RESULT ".length)) as Invocation;
}

/** The npm packages whose code is in these files of the bundle (from the metafile). */
function packagesIn(bundle: LambdaBundle, files: readonly string[]): Set<string> {
  const packages = new Set<string>();
  for (const file of files) {
    for (const input of Object.keys(bundle.metafile.outputs[`dist/lambda/${file}`]?.inputs ?? {})) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
      if (match?.[1] !== undefined) packages.add(match[1]);
    }
  }
  return packages;
}

/** All the JavaScript of the bundle, as one text. */
function bundleText(bundle: LambdaBundle): string {
  const dir = dirname(bundle.entryFile);
  return bundle.files.map((file) => readFileSync(join(dir, file.name), "utf8")).join("\n");
}

/** The environment of an invocation against the S3 stand-in, in token mode with an inline secret. */
function invocationEnv(s3Url: string): Record<string, string> {
  return {
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
    AWS_ENDPOINT_URL_S3: s3Url,
    S3_FORCE_PATH_STYLE: "true",
    CONNECTION_BUCKET: "connections",
    CONNECTION_PREFIX: "active-connections",
    // Token mode, the default: $connect itself needs no token (the authorizer ran before it).
    TOKEN_SECRET: TOKEN_SECRET,
    POWERTOOLS_LOG_LEVEL: "ERROR",
  };
}

const TOKEN_SECRET = "a-bundle-test-secret-of-at-least-32-bytes";

// Built twice, into two folders, once for the whole file.
let workDir: string;
let first: LambdaBundle;
let second: LambdaBundle;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), "fanout-bundle-"));
  first = await buildLambdaBundle({ outDir: join(workDir, "first"), quiet: true });
  second = await buildLambdaBundle({ outDir: join(workDir, "second"), quiet: true });
});

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

describe("Lambda bundle", () => {
  it("is byte-identical when built twice, and source_code_hash is the zip's base64 SHA-256", () => {
    // Prepare
    const firstZip = readFileSync(first.zipFile);
    // Act
    const secondZip = readFileSync(second.zipFile);
    // Assess
    expect(secondZip.equals(firstZip)).toBe(true);
    expect(second.sourceCodeHash).toBe(first.sourceCodeHash);
    expect(first.sourceCodeHash).toBe(createHash("sha256").update(firstZip).digest("base64"));
    expect(first.zipBytes).toBe(firstZip.length);
  });

  it("zips index.mjs (the handler the stack names index.handler), the chunks it imports and their source maps", () => {
    // Prepare
    const entries = unzipSync(readFileSync(first.zipFile));
    const dir = dirname(first.entryFile);
    // Act
    const names = Object.keys(entries).sort();
    // Assess
    expect(first.files[0]?.name).toBe("index.mjs");
    expect(first.files.slice(1).every((file) => /^chunk-[A-Z0-9]+\.mjs$/.test(file.name))).toBe(true);
    expect(names).toEqual(first.files.flatMap((file) => [file.name, `${file.name}.map`]).sort());
    for (const file of first.files) {
      const onDisk = readFileSync(join(dir, file.name));
      expect(Buffer.from(entries[file.name] as Uint8Array).equals(onDisk)).toBe(true);
      expect(file.bytes).toBe(onDisk.length);
    }
    expect(first.entryBytes).toBe(readFileSync(first.entryFile).length);
    expect(first.bundleBytes).toBe(first.files.reduce((sum, file) => sum + file.bytes, 0));
  });

  it("returns esbuild's metafile of the same build, with what each input contributes", () => {
    // Prepare
    const outputs = first.metafile.outputs;
    // Act
    const handlerBytes = Object.values(outputs)
      .map((output) => output.inputs["src/sources/websocket.ts"]?.bytesInOutput ?? 0)
      .reduce((a, b) => a + b, 0);
    // Assess
    expect(outputs["dist/lambda/index.mjs"]?.bytes).toBe(first.entryBytes);
    expect(handlerBytes).toBeGreaterThan(0);
  });

  it("carries only the environment credential provider: no other provider, no nested SSO/STS/OIDC clients", () => {
    // Prepare
    const inputs = first.files.flatMap((file) =>
      Object.keys(first.metafile.outputs[`dist/lambda/${file.name}`]?.inputs ?? {}),
    );
    const text = bundleText(first);
    // Act
    const unwanted = inputs.filter((path) =>
      /nested-clients|token-providers|credential-provider-(?!env\/)|credential-provider-imds/.test(path),
    );
    // Assess
    expect(inputs).toContain("util/build/env-credentials.ts");
    expect(inputs.some((path) => path.includes("@aws-sdk/credential-provider-env/"))).toBe(true);
    expect(unwanted).toEqual([]);
    // Matched without printing the bundle on failure. (Region and config loading still read ~/.aws/config, so
    // AWS_PROFILE legitimately remains.)
    expect(text.match(/sso-oidc|SSOOIDC|AssumeRoleWithWebIdentity|GetRoleCredentials/)?.[0]).toBeUndefined();
  });

  it("maps our own sources only, and is small: the zip stays within 200 KiB", () => {
    // Prepare
    const dir = dirname(first.entryFile);
    const maps = first.files.map(
      (file) => JSON.parse(readFileSync(join(dir, `${file.name}.map`), "utf8")) as { sources: string[] },
    );
    // Act
    const sources = maps.flatMap((map) => map.sources);
    // Assess
    expect(sources).toContain("../../src/index.ts");
    expect(sources).toContain("../../src/sources/websocket.ts");
    expect(sources.filter((source) => source.includes("node_modules/"))).toEqual([]);
    expect(first.zipBytes).toBeLessThanOrEqual(200 * 1024);
  });

  it("keeps the SDK schemas of the operations the handler sends, and drops the others", () => {
    // Prepare
    const text = bundleText(first);
    // Act
    const kept = [
      "PutObjectRequest",
      "ListObjectsV2Request",
      "DeleteObjectsRequest",
      "SendMessageBatchRequest",
    ];
    const dropped = [
      "DeleteBucketAnalyticsConfigurationRequest",
      "SelectObjectContentRequest",
      "ReceiveMessageRequest",
    ];
    // Assess
    expect(kept.filter((name) => !text.includes(`"${name}"`))).toEqual([]);
    expect(dropped.filter((name) => text.includes(`"${name}"`))).toEqual([]);
  });

  it("loads as an ES module and stores the connection of a real $connect event in S3, loading no undici", async () => {
    // Prepare
    const s3 = await startS3StandIn();
    const event = loadEvent<{ requestContext: { connectionId: string } }>("connect_1");
    try {
      // Act
      const { result, builtins } = await invokeBundle(first.entryFile, event, invocationEnv(s3.url));
      // Assess
      expect(result).toMatchObject({ statusCode: 200 });
      expect(s3.received.map(({ method, path }) => ({ method, path }))).toEqual([
        {
          method: "PUT",
          path: `/connections/${connectionKey("active-connections", event.requestContext.connectionId)}`,
        },
      ]);
      expect(s3.received[0]?.bodyBytes).toBe(0);
      // bundle-plugins.ts: node:http without its ESM facade.
      expect(builtins.filter((name) => name.includes("undici"))).toEqual([]);
    } finally {
      await new Promise((resolve) => s3.server.close(resolve));
    }
  });

  it("loads per event what it needs: the authorizer no S3, SQS or @connections client; $connect no jose", async () => {
    // Prepare
    const s3 = await startS3StandIn();
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ sub: "alice", iat: now, exp: now + 600 })
      .setProtectedHeader({ alg: "HS256" })
      .sign(new TextEncoder().encode(TOKEN_SECRET));
    const authorizerEvent = { ...loadEvent("authorizer_1"), queryStringParameters: { token } };
    try {
      // Act
      const authorizer = await invokeBundle(first.entryFile, authorizerEvent, invocationEnv(s3.url));
      const connect = await invokeBundle(first.entryFile, loadEvent("connect_1"), invocationEnv(s3.url));
      // Assess
      expect(authorizer.result).toMatchObject({
        principalId: "alice",
        policyDocument: { Statement: [{ Effect: "Allow" }] },
      });
      const authorizerPackages = packagesIn(first, authorizer.loadedFiles);
      expect(authorizerPackages.has("jose")).toBe(true);
      expect(
        [
          "@aws-sdk/client-s3",
          "@aws-sdk/client-sqs",
          "@aws-sdk/client-apigatewaymanagementapi",
          "@aws-sdk/client-secrets-manager",
        ].filter((name) => authorizerPackages.has(name)),
      ).toEqual([]);
      expect(connect.result).toMatchObject({ statusCode: 200 });
      const connectPackages = packagesIn(first, connect.loadedFiles);
      expect(connectPackages.has("@aws-sdk/client-s3")).toBe(true);
      expect(
        ["jose", "@aws-sdk/client-sqs", "@aws-sdk/client-secrets-manager"].filter((name) =>
          connectPackages.has(name),
        ),
      ).toEqual([]);
    } finally {
      await new Promise((resolve) => s3.server.close(resolve));
    }
  });

  it("answers each of the benchmark's first-invocation events as it should (the bench's events follow the contracts)", async () => {
    // Prepare: the events `npm run bench` measures the cold start with are its own, written apart from the fixtures;
    // a change to an event, a shard job or a frame that they miss fails CI's bench run, so it fails here first.
    // Act: one fresh node per route; each probe throws unless its route answered as it does when all goes well
    const figures = await measureFirstInvocations(first.entryFile, 1);
    // Assess
    expect(figures.map(({ route }) => route)).toEqual([
      "$connect authorizer",
      "$connect",
      "broadcast",
      "shard (SQS)",
    ]);
  });
});
