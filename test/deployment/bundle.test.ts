import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { unzipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectionKey } from "../../src/connections.js";
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

/**
 * Imports the bundle in a fresh Node process, as Lambda does, and invokes its handler once with `event`.
 * The handler logs to stdout, so the result travels on its own marked line.
 */
async function invokeBundle(
  entryFile: string,
  event: unknown,
  env: Record<string, string>,
): Promise<unknown> {
  const script = `
    const { handler } = await import(${JSON.stringify(pathToFileURL(entryFile).href)});
    const context = { awsRequestId: "bundle-test-request", functionName: "fanout-test", getRemainingTimeInMillis: () => 30000 };
    const result = await handler(JSON.parse(process.env.TEST_EVENT), context);
    process.stdout.write("\\nRESULT " + JSON.stringify(result) + "\\n");`;
  const { stdout } = await run(process.execPath, ["--input-type=module", "--eval", script], {
    env: { PATH: process.env.PATH ?? "", ...env, TEST_EVENT: JSON.stringify(event) },
    timeout: 30_000,
  });
  const line = stdout.split("\n").find((l) => l.startsWith("RESULT "));
  if (line === undefined) throw new Error(`the handler printed no result; stdout was:\n${stdout}`);
  return JSON.parse(line.slice("RESULT ".length));
}

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

  it("zips index.mjs (the handler the stack names index.handler) and its source map", () => {
    // Prepare
    const entries = unzipSync(readFileSync(first.zipFile));
    // Act
    const names = Object.keys(entries).sort();
    // Assess
    expect(names).toEqual(["index.mjs", "index.mjs.map"]);
    expect(Buffer.from(entries["index.mjs"] as Uint8Array).equals(readFileSync(first.entryFile))).toBe(true);
    expect(first.bundleBytes).toBe(readFileSync(first.entryFile).length);
  });

  it("returns esbuild's metafile of the same build, with what each input contributes", () => {
    // Prepare
    const output = first.metafile.outputs["dist/lambda/index.mjs"];
    // Act
    const handlerBytes = output?.inputs["src/handler.ts"]?.bytesInOutput;
    // Assess
    expect(output?.bytes).toBe(first.bundleBytes);
    expect(handlerBytes).toBeGreaterThan(0);
  });

  it("carries only the environment credential provider: no other provider, no nested SSO/STS/OIDC clients", () => {
    // Prepare
    const inputs = Object.keys(first.metafile.outputs["dist/lambda/index.mjs"]?.inputs ?? {});
    const bundleText = readFileSync(first.entryFile, "utf8");
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
    expect(
      bundleText.match(/sso-oidc|SSOOIDC|AssumeRoleWithWebIdentity|GetRoleCredentials/)?.[0],
    ).toBeUndefined();
  });

  it("maps our own sources only, and is small: the zip stays within 200 KiB", () => {
    // Prepare
    const map = JSON.parse(readFileSync(`${first.entryFile}.map`, "utf8")) as { sources: string[] };
    // Act
    const sdkSources = map.sources.filter((source) => source.includes("node_modules/"));
    // Assess
    expect(map.sources).toContain("../../src/handler.ts");
    expect(sdkSources).toEqual([]);
    expect(first.zipBytes).toBeLessThanOrEqual(200 * 1024);
  });

  it("loads as an ES module and stores the connection of a real $connect event in S3", async () => {
    // Prepare
    const s3 = await startS3StandIn();
    const event = loadEvent<{ requestContext: { connectionId: string } }>("connect_1");
    try {
      // Act
      const result = await invokeBundle(first.entryFile, event, {
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: "test",
        AWS_SECRET_ACCESS_KEY: "test",
        AWS_ENDPOINT_URL_S3: s3.url,
        S3_FORCE_PATH_STYLE: "true",
        CONNECTION_BUCKET: "connections",
        CONNECTION_PREFIX: "active-connections",
        // Token mode, the default: $connect itself needs no token (the authorizer ran before it).
        TOKEN_SECRET: "a-bundle-test-secret-of-at-least-32-bytes",
        POWERTOOLS_LOG_LEVEL: "ERROR",
      });
      // Assess
      expect(result).toMatchObject({ statusCode: 200 });
      expect(s3.received.map(({ method, path }) => ({ method, path }))).toEqual([
        {
          method: "PUT",
          path: `/connections/${connectionKey("active-connections", event.requestContext.connectionId)}`,
        },
      ]);
      expect(s3.received[0]?.bodyBytes).toBe(0);
    } finally {
      await new Promise((resolve) => s3.server.close(resolve));
    }
  });
});
