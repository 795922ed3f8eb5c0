import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { ConnectionStoreError, S3ConnectionStore } from "../../src/connections.js";
import { connectionIds } from "./support/store.js";

const s3 = mockClient(S3Client);
const store = () =>
  new S3ConnectionStore(new S3Client({ region: "us-east-1" }), "bucket", "active-connections");

afterEach(() => {
  s3.reset();
});

async function collect(pages: AsyncIterable<string[]>): Promise<string[][]> {
  const all: string[][] = [];
  for await (const page of pages) all.push(page);
  return all;
}

describe("S3ConnectionStore", () => {
  it("stores a connection as an empty object under the prefix", async () => {
    // Prepare
    s3.on(PutObjectCommand).resolves({});

    // Act
    await store().add("Ek02Ofq8IAMCEyw=");

    // Assess
    expect(s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input)).toEqual([
      { Bucket: "bucket", Key: "active-connections/Ek02Ofq8IAMCEyw=", Body: "", ContentLength: 0 },
    ]);
  });

  it("wraps an S3 failure in ConnectionStoreError naming the operation, with the cause", async () => {
    // Prepare
    const denied = Object.assign(new Error("Access Denied"), { name: "AccessDenied" });
    s3.on(PutObjectCommand).rejects(denied);

    // Act
    const failure = await store()
      .add("abc=")
      .catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(ConnectionStoreError);
    expect((failure as ConnectionStoreError).operation).toBe("PutObject");
    expect((failure as ConnectionStoreError).message).toContain("AccessDenied: Access Denied");
    expect((failure as ConnectionStoreError).cause).toBe(denied);
  });

  it("removes a connection by its key", async () => {
    // Prepare
    s3.on(DeleteObjectCommand).resolves({});

    // Act
    await store().remove("abc=");

    // Assess
    expect(s3.commandCalls(DeleteObjectCommand).map((call) => call.args[0].input)).toEqual([
      { Bucket: "bucket", Key: "active-connections/abc=" },
    ]);
  });

  it("removes many connections in DeleteObjects batches of 1,000, quietly", async () => {
    // Prepare
    s3.on(DeleteObjectsCommand).resolves({});
    const ids = connectionIds(2001);

    // Act
    await store().removeMany(ids);

    // Assess
    const inputs = s3.commandCalls(DeleteObjectsCommand).map((call) => call.args[0].input);
    expect(inputs.map((input) => input.Delete?.Objects?.length)).toEqual([1000, 1000, 1]);
    expect(inputs.every((input) => input.Bucket === "bucket" && input.Delete?.Quiet === true)).toBe(true);
    expect(inputs[2]?.Delete?.Objects).toEqual([{ Key: `active-connections/${ids[2000]}` }]);
  });

  it("reports keys that DeleteObjects answered 200 for but did not delete", async () => {
    // Prepare
    s3.on(DeleteObjectsCommand).resolves({
      Errors: [{ Key: "active-connections/a", Code: "AccessDenied", Message: "Access Denied" }],
    });

    // Act
    const failure = await store()
      .removeMany(["a", "b"])
      .catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(ConnectionStoreError);
    expect((failure as Error).message).toBe(
      "DeleteObjects failed for 1 of 2 keys (first: active-connections/a AccessDenied Access Denied)",
    );
  });

  it("lists ids page by page, skipping a folder object", async () => {
    // Prepare
    s3.on(ListObjectsV2Command, { ContinuationToken: undefined }).resolves({
      Contents: [{ Key: "active-connections/" }, { Key: "active-connections/a=" }],
      IsTruncated: true,
      NextContinuationToken: "next",
    });
    s3.on(ListObjectsV2Command, { ContinuationToken: "next" }).resolves({ IsTruncated: false });

    // Act
    const pages = await collect(store().pages());

    // Assess
    expect(pages).toEqual([["a="], []]);
    expect(s3.commandCalls(ListObjectsV2Command)[0]?.args[0].input).toEqual({
      Bucket: "bucket",
      Prefix: "active-connections/",
      MaxKeys: 1000,
      ContinuationToken: undefined,
    });
  });

  it("starts the listing after a given id and keeps to the continuation token after the first page", async () => {
    // Prepare
    s3.on(ListObjectsV2Command, { ContinuationToken: undefined }).resolves({
      Contents: [{ Key: "active-connections/c=" }],
      IsTruncated: true,
      NextContinuationToken: "next",
    });
    s3.on(ListObjectsV2Command, { ContinuationToken: "next" }).resolves({
      Contents: [{ Key: "active-connections/d=" }],
      IsTruncated: false,
    });

    // Act
    const pages = await collect(store().pages("b="));

    // Assess
    expect(pages).toEqual([["c="], ["d="]]);
    const inputs = s3.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input);
    expect(inputs.map((input) => [input.StartAfter, input.ContinuationToken])).toEqual([
      ["active-connections/b=", undefined],
      [undefined, "next"],
    ]);
  });

  it("fails the listing with ConnectionStoreError when S3 fails", async () => {
    // Prepare
    s3.on(ListObjectsV2Command).rejects("no such bucket");

    // Act
    const failure = await collect(store().pages()).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(ConnectionStoreError);
    expect((failure as ConnectionStoreError).operation).toBe("ListObjectsV2");
  });
});
