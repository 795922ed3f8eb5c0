import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { connectionKey } from "../../../src/contract/index.js";
import { S3ConnectionStore } from "../../../src/stores/connections.js";
import { StoreError } from "../../../src/stores/s3.js";
import { mockAws } from "../support/aws.js";
import { collect, connectionIds } from "../support/store.js";

const aws = mockAws();
const store = () => new S3ConnectionStore(aws.s3Client(), "bucket", "active-connections");

describe("S3ConnectionStore", () => {
  it("stores a connection as an empty object in its bucket under the prefix", async () => {
    // Prepare
    aws.s3.on(PutObjectCommand).resolves({});

    // Act
    await store().add("Ek02Ofq8IAMCEyw=");

    // Assess
    expect(aws.s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input)).toEqual([
      { Bucket: "bucket", Key: "active-connections/~e7/Ek02Ofq8IAMCEyw=", Body: "", ContentLength: 0 },
    ]);
  });

  it("wraps an S3 failure in StoreError naming the operation, with the cause", async () => {
    // Prepare
    const denied = Object.assign(new Error("Access Denied"), { name: "AccessDenied" });
    aws.s3.on(PutObjectCommand).rejects(denied);

    // Act
    const failure = await store()
      .add("abc=")
      .catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(StoreError);
    expect((failure as StoreError).operation).toBe("PutObject");
    expect((failure as StoreError).message).toContain("AccessDenied: Access Denied");
    expect((failure as StoreError).cause).toBe(denied);
  });

  it("removes a connection's key and its flat-layout key in one DeleteObjects", async () => {
    // Prepare
    aws.s3.on(DeleteObjectsCommand).resolves({});

    // Act
    await store().remove("abc=");

    // Assess
    expect(aws.s3.commandCalls(DeleteObjectsCommand).map((call) => call.args[0].input)).toEqual([
      {
        Bucket: "bucket",
        Delete: {
          Objects: [{ Key: "active-connections/~83/abc=" }, { Key: "active-connections/abc=" }],
          Quiet: true,
        },
      },
    ]);
    expect(aws.s3.commandCalls(DeleteObjectCommand)).toEqual([]);
  });

  it("removes the bucketed key only once flat keys are no longer read", async () => {
    // Prepare
    aws.s3.on(DeleteObjectsCommand).resolves({});
    const noFlat = new S3ConnectionStore(aws.s3Client(), "bucket", "active-connections", {
      readFlatKeys: false,
    });

    // Act
    await noFlat.remove("abc=");

    // Assess
    expect(aws.s3.commandCalls(DeleteObjectsCommand)[0]?.args[0].input.Delete?.Objects).toEqual([
      { Key: "active-connections/~83/abc=" },
    ]);
  });

  it("removes many connections in DeleteObjects batches of 1,000, quietly", async () => {
    // Prepare
    aws.s3.on(DeleteObjectsCommand).resolves({});
    const ids = connectionIds(2001);

    // Act
    await store().removeMany(ids);

    // Assess
    const inputs = aws.s3.commandCalls(DeleteObjectsCommand).map((call) => call.args[0].input);
    // Two keys per id (bucketed and flat) while flat keys are read.
    expect(inputs.map((input) => input.Delete?.Objects?.length)).toEqual([1000, 1000, 1000, 1000, 2]);
    expect(inputs.every((input) => input.Bucket === "bucket" && input.Delete?.Quiet === true)).toBe(true);
    expect(inputs[4]?.Delete?.Objects).toEqual([
      { Key: connectionKey("active-connections", ids[2000] as string) },
      { Key: `active-connections/${ids[2000]}` },
    ]);
  });

  it("reports keys that DeleteObjects answered 200 for but did not delete", async () => {
    // Prepare
    aws.s3.on(DeleteObjectsCommand).resolves({
      Errors: [{ Key: "active-connections/a", Code: "AccessDenied", Message: "Access Denied" }],
    });

    // Act
    const failure = await store()
      .removeMany(["a", "b"])
      .catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(StoreError);
    expect((failure as Error).message).toBe(
      "DeleteObjects failed for 1 of 4 keys in bucket (first: active-connections/a AccessDenied Access Denied)",
    );
  });

  it("lists the flat layout's keys up to the first bucket, then every bucket, skipping a folder object", async () => {
    // Prepare: the flat listing stops at the first bucketed key; the bucket listing pages on to the end.
    aws.s3.on(ListObjectsV2Command, { StartAfter: undefined, ContinuationToken: undefined }).resolves({
      Contents: [
        { Key: "active-connections/" },
        { Key: "active-connections/old=" },
        { Key: "active-connections/~00/x=" },
      ],
      IsTruncated: true,
      NextContinuationToken: "flat-next",
    });
    aws.s3.on(ListObjectsV2Command, { StartAfter: "active-connections/~00" }).resolves({
      Contents: [{ Key: "active-connections/~00/x=" }, { Key: "active-connections/~7f/y=" }],
      IsTruncated: true,
      NextContinuationToken: "next",
    });
    aws.s3.on(ListObjectsV2Command, { ContinuationToken: "next" }).resolves({
      Contents: [{ Key: "active-connections/~ff/z=" }],
      IsTruncated: false,
    });

    // Act
    const pages = await collect(store().pages());

    // Assess: the flat listing did not follow its continuation token
    expect(pages).toEqual([["old="], ["x=", "y="], ["z="]]);
    const inputs = aws.s3.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input);
    expect(inputs).toEqual([
      { Bucket: "bucket", Prefix: "active-connections/", MaxKeys: 1000, ContinuationToken: undefined },
      {
        Bucket: "bucket",
        Prefix: "active-connections/",
        MaxKeys: 1000,
        ContinuationToken: undefined,
        StartAfter: "active-connections/~00",
      },
      { Bucket: "bucket", Prefix: "active-connections/", MaxKeys: 1000, ContinuationToken: "next" },
    ]);
  });

  it("lists only a shard's buckets: from its first bucket, stopping at the next shard's first key", async () => {
    // Prepare
    aws.s3.on(ListObjectsV2Command, { StartAfter: "active-connections/~10" }).resolves({
      Contents: [
        { Key: "active-connections/~10/a=" },
        { Key: "active-connections/~1f/b=" },
        { Key: "active-connections/~20/c=" },
      ],
      IsTruncated: true,
      NextContinuationToken: "more",
    });

    // Act
    const pages = await collect(store().pages({ from: 0x10, to: 0x20 }));

    // Assess: no flat listing (the shard does not start the store), no second page
    expect(pages).toEqual([["a=", "b="]]);
    expect(aws.s3.commandCalls(ListObjectsV2Command)).toHaveLength(1);
  });

  it("fails the listing with StoreError when S3 fails", async () => {
    // Prepare
    aws.s3.on(ListObjectsV2Command).rejects("no such bucket");

    // Act
    const failure = await collect(store().pages()).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(StoreError);
    expect((failure as StoreError).operation).toBe("ListObjectsV2");
  });
});
