import { GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_CREDENTIALS } from "../../../util/local-stack/emulator/emulator.js";
import { signedRequest, startTestEmulator, type TestEmulator, xmlText } from "./support.js";

describe("the local S3 takes conditional writes as S3 does (PutObject with If-None-Match)", () => {
  let emulator: TestEmulator;
  let s3: S3Client;
  beforeAll(async () => {
    emulator = await startTestEmulator();
    s3 = new S3Client({
      endpoint: emulator.endpoint,
      region: "us-east-1",
      credentials: LOCAL_CREDENTIALS,
      forcePathStyle: true,
      maxAttempts: 1,
    });
  });
  afterAll(async () => {
    s3?.destroy();
    await emulator?.stop();
  });

  /** A conditional put through the SDK: "written", or the status and code S3 answered. */
  async function claim(key: string, body: string): Promise<string> {
    try {
      await s3.send(
        new PutObjectCommand({ Bucket: emulator.bucket, Key: key, Body: body, IfNoneMatch: "*" }),
      );
      return "written";
    } catch (error) {
      if (!(error instanceof S3ServiceException)) throw error;
      return `${error.$metadata.httpStatusCode} ${error.name}`;
    }
  }

  it("writes a free key, refuses an existing one with 412 PreconditionFailed and keeps the first body", async () => {
    // Act
    const first = await claim("claims/one", "first");
    const second = await claim("claims/one", "second");
    const stored = await s3.send(new GetObjectCommand({ Bucket: emulator.bucket, Key: "claims/one" }));

    // Assess
    expect(first).toBe("written");
    expect(second).toBe("412 PreconditionFailed");
    expect(await stored.Body?.transformToString()).toBe("first");
  });

  it("lets exactly one of 20 concurrent conditional writes of a key win; the others get 412 or 409", async () => {
    // Act
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, n) => claim("claims/race", `writer-${n}`)),
    );
    const stored = await s3.send(new GetObjectCommand({ Bucket: emulator.bucket, Key: "claims/race" }));

    // Assess
    const winners = outcomes.flatMap((outcome, n) => (outcome === "written" ? [n] : []));
    expect(winners).toHaveLength(1);
    expect(
      outcomes
        .filter((o) => o !== "written")
        .every((o) => /^(412 PreconditionFailed|409 ConditionalRequestConflict)$/.test(o)),
    ).toBe(true);
    expect(await stored.Body?.transformToString()).toBe(`writer-${winners[0]}`);
  });

  it("leaves a put without the header an overwrite, and answers another If-None-Match value 501 in S3's shape", async () => {
    // Prepare
    await claim("claims/plain", "first");

    // Act
    const overwrite = await signedRequest(emulator.endpoint, "PUT", `/${emulator.bucket}/claims/plain`, {
      headers: { "content-type": "text/plain" },
      body: "second",
    });
    const etag = await signedRequest(emulator.endpoint, "PUT", `/${emulator.bucket}/claims/etag`, {
      headers: { "content-type": "text/plain", "if-none-match": '"d41d8cd98f00b204e9800998ecf8427e"' },
      body: "x",
    });
    const read = await signedRequest(emulator.endpoint, "GET", `/${emulator.bucket}/claims/plain`);

    // Assess
    expect(overwrite.status).toBe(200);
    expect(read.body).toBe("second");
    expect(etag.status).toBe(501);
    expect(xmlText(etag.body, "Code")).toBe("NotImplemented");
  });
});
