import { DeleteObjectsCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { reverseKey } from "../../../src/contract/index.js";
import { S3MembershipStore } from "../../../src/stores/memberships.js";
import { StoreError } from "../../../src/stores/s3.js";
import { mockAws } from "../support/aws.js";
import { collect, connectionIds } from "../support/store.js";

const aws = mockAws();
const store = () => new S3MembershipStore(aws.s3Client(), "bucket");

/** The S3 commands sent, in order, as [command name, key or keys]. */
function sent(): Array<[string, unknown]> {
  return aws.s3.calls().map((call) => {
    const input = call.args[0].input as {
      Key?: string;
      Prefix?: string;
      Delete?: { Objects?: Array<{ Key?: string }> };
    };
    const name = call.args[0].constructor.name;
    if (input.Delete) return [name, input.Delete.Objects?.map((object) => object.Key)];
    return [name, input.Key ?? input.Prefix];
  });
}

describe("S3MembershipStore", () => {
  it("subscribes by putting the reverse key first, then the member key, both empty", async () => {
    // Prepare
    aws.s3.on(PutObjectCommand).resolves({});
    // Act
    await store().subscribe("abc=", "news/x");
    // Assess
    expect(aws.s3.commandCalls(PutObjectCommand).map((call) => call.args[0].input)).toEqual([
      { Bucket: "bucket", Key: "connection-channels/abc%3D/news%2Fx", Body: "", ContentLength: 0 },
      { Bucket: "bucket", Key: "channel-members/news%2Fx/~83/abc%3D", Body: "", ContentLength: 0 },
    ]);
  });

  it("does not write the member key when the reverse key could not be written", async () => {
    // Prepare
    const denied = Object.assign(new Error("Access Denied"), { name: "AccessDenied" });
    aws.s3.on(PutObjectCommand).rejects(denied);
    // Act
    const failure = await store()
      .subscribe("abc=", "news")
      .catch((error: unknown) => error);
    // Assess
    expect(failure).toBeInstanceOf(StoreError);
    expect(failure).toMatchObject({ operation: "PutObject", cause: denied });
    expect((failure as Error).message).toContain("connection-channels/abc%3D/news");
    expect(sent()).toEqual([["PutObjectCommand", "connection-channels/abc%3D/news"]]);
  });

  it("checks its reverse key after the member put, and keeps the member key when the reverse key is there", async () => {
    // Prepare: the one-key listing finds the reverse key
    aws.s3
      .on(ListObjectsV2Command, { Prefix: "connection-channels/abc%3D/news" })
      .resolves({ Contents: [{ Key: "connection-channels/abc%3D/news" }] });
    // Act
    await store().subscribe("abc=", "news");
    // Assess
    expect(sent()).toEqual([
      ["PutObjectCommand", "connection-channels/abc%3D/news"],
      ["PutObjectCommand", "channel-members/news/~83/abc%3D"],
      ["ListObjectsV2Command", "connection-channels/abc%3D/news"],
    ]);
    expect(aws.s3.commandCalls(ListObjectsV2Command)[0]?.args[0].input).toEqual({
      Bucket: "bucket",
      Prefix: "connection-channels/abc%3D/news",
      MaxKeys: 1,
    });
  });

  it("removes its own member key when a concurrent unsubscribe deleted the reverse key meanwhile", async () => {
    // Prepare: the listing finds only a longer key (another channel whose name starts the same), not ours
    aws.s3
      .on(ListObjectsV2Command, { Prefix: "connection-channels/abc%3D/news" })
      .resolves({ Contents: [{ Key: "connection-channels/abc%3D/news%2Fsport" }] });
    // Act
    await store().subscribe("abc=", "news");
    // Assess
    expect(sent()).toEqual([
      ["PutObjectCommand", "connection-channels/abc%3D/news"],
      ["PutObjectCommand", "channel-members/news/~83/abc%3D"],
      ["ListObjectsV2Command", "connection-channels/abc%3D/news"],
      ["DeleteObjectCommand", "channel-members/news/~83/abc%3D"],
    ]);
  });

  it("unsubscribes by deleting the member key, then the reverse key, then the member key again", async () => {
    // Prepare: S3 deletes (mockAws answers every DeleteObject)
    // Act
    await store().unsubscribe("abc=", "news");
    // Assess
    expect(sent()).toEqual([
      ["DeleteObjectCommand", "channel-members/news/~83/abc%3D"],
      ["DeleteObjectCommand", "connection-channels/abc%3D/news"],
      ["DeleteObjectCommand", "channel-members/news/~83/abc%3D"],
    ]);
  });

  it("deletes the member keys a channel's fan-out found gone, in one batch, without the reverse index", async () => {
    // Prepare: S3 deletes
    // Act
    await store().removeMembers("news", ["a=", "b="]);
    // Assess
    expect(sent()).toEqual([
      ["DeleteObjectsCommand", ["channel-members/news/~52/a%3D", "channel-members/news/~9f/b%3D"]],
    ]);
  });

  it("lists a connection's channels from the reverse index, decoded, across pages", async () => {
    // Prepare
    aws.s3
      .on(ListObjectsV2Command, { ContinuationToken: undefined })
      .resolves({
        Contents: [{ Key: "connection-channels/abc%3D/news%2Fx" }, { Key: "connection-channels/abc%3D/" }],
        IsTruncated: true,
        NextContinuationToken: "t1",
      })
      .on(ListObjectsV2Command, { ContinuationToken: "t1" })
      .resolves({ Contents: [{ Key: "connection-channels/abc%3D/%2E%2E" }], IsTruncated: false });
    // Act
    const channels = await store().channelsOf("abc=");
    // Assess
    expect(channels).toEqual(["news/x", ".."]);
    expect(aws.s3.commandCalls(ListObjectsV2Command)[0]?.args[0].input).toEqual({
      Bucket: "bucket",
      Prefix: "connection-channels/abc%3D/",
      MaxKeys: 1000,
      ContinuationToken: undefined,
      StartAfter: undefined,
    });
  });

  it("lists one channel's members in a shard's buckets a page at a time, stopping at the next shard", async () => {
    // Prepare
    aws.s3
      .on(ListObjectsV2Command, { ContinuationToken: undefined })
      .resolves({
        Contents: [{ Key: "channel-members/news/~50" }, { Key: "channel-members/news/~52/b%3D" }],
        IsTruncated: true,
        NextContinuationToken: "t1",
      })
      .on(ListObjectsV2Command, { ContinuationToken: "t1" })
      .resolves({
        Contents: [{ Key: "channel-members/news/~5f/d%3D" }, { Key: "channel-members/news/~60/e%3D" }],
        IsTruncated: true,
        NextContinuationToken: "t2",
      });
    // Act
    const pages = await collect(store().members("news", { from: 0x50, to: 0x60 }));
    // Assess: a stray key without an id is skipped; the listing ends at bucket ~60 without a third page
    expect(pages).toEqual([["b="], ["d="]]);
    expect(aws.s3.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input)).toEqual([
      {
        Bucket: "bucket",
        Prefix: "channel-members/news/",
        MaxKeys: 1000,
        ContinuationToken: undefined,
        StartAfter: "channel-members/news/~50",
      },
      {
        Bucket: "bucket",
        Prefix: "channel-members/news/",
        MaxKeys: 1000,
        ContinuationToken: "t1",
        StartAfter: undefined,
      },
    ]);
  });

  it("removes connections from every channel: member keys in one batch, then reverse keys", async () => {
    // Prepare
    aws.s3
      .on(ListObjectsV2Command, { Prefix: "connection-channels/a%3D/" })
      .resolves({
        Contents: [{ Key: "connection-channels/a%3D/news" }, { Key: "connection-channels/a%3D/x%2Fy" }],
      })
      .on(ListObjectsV2Command, { Prefix: "connection-channels/b%3D/" })
      .resolves({})
      .on(DeleteObjectsCommand)
      .resolves({});
    // Act
    await store().removeConnections(["a=", "b="]);
    // Assess
    const deletes = aws.s3.commandCalls(DeleteObjectsCommand).map((call) => call.args[0].input);
    expect(deletes).toEqual([
      {
        Bucket: "bucket",
        Delete: {
          Objects: [{ Key: "channel-members/news/~52/a%3D" }, { Key: "channel-members/x%2Fy/~52/a%3D" }],
          Quiet: true,
        },
      },
      {
        Bucket: "bucket",
        Delete: {
          Objects: [{ Key: "connection-channels/a%3D/news" }, { Key: "connection-channels/a%3D/x%2Fy" }],
          Quiet: true,
        },
      },
      // The member keys once more, after the reverse keys (see the convergence tests).
      {
        Bucket: "bucket",
        Delete: {
          Objects: [{ Key: "channel-members/news/~52/a%3D" }, { Key: "channel-members/x%2Fy/~52/a%3D" }],
          Quiet: true,
        },
      },
    ]);
  });

  it("deletes in batches of at most 1,000 keys, every member batch before any reverse batch", async () => {
    // Prepare: 25 connections with 50 channels each = 1,250 memberships
    const ids = connectionIds(25);
    const channels = Array.from({ length: 50 }, (_, index) => `ch${index}`);
    for (const id of ids) {
      aws.s3.on(ListObjectsV2Command, { Prefix: `connection-channels/${encodeURIComponent(id)}/` }).resolves({
        Contents: channels.map((channel) => ({ Key: reverseKey(id, channel) })),
      });
    }
    aws.s3.on(DeleteObjectsCommand).resolves({});
    // Act
    await store().removeConnections(ids);
    // Assess
    const batches = aws.s3
      .commandCalls(DeleteObjectsCommand)
      .map((call) => call.args[0].input.Delete?.Objects?.map((object) => object.Key ?? "") ?? []);
    expect(batches.map((batch) => batch.length)).toEqual([1000, 250, 1000, 250, 1000, 250]);
    const prefixes = batches.map((batch) => [...new Set(batch.map((key) => key.split("/")[0]))]);
    expect(prefixes).toEqual([
      ["channel-members"],
      ["channel-members"],
      ["connection-channels"],
      ["connection-channels"],
      ["channel-members"],
      ["channel-members"],
    ]);
  });

  it("keeps the reverse keys when DeleteObjects answers 200 with Errors for member keys", async () => {
    // Prepare
    aws.s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: "connection-channels/a%3D/news" }] });
    aws.s3.on(DeleteObjectsCommand).resolves({
      Errors: [{ Key: "channel-members/news/a%3D", Code: "InternalError", Message: "try again" }],
    });
    // Act
    const failure = await store()
      .removeConnections(["a="])
      .catch((error: unknown) => error);
    // Assess
    expect(failure).toBeInstanceOf(StoreError);
    expect(failure).toMatchObject({ operation: "DeleteObjects" });
    expect((failure as Error).message).toContain("channel-members/news/a%3D InternalError try again");
    expect(aws.s3.commandCalls(DeleteObjectsCommand)).toHaveLength(1);
  });

  it("sends no delete for a connection that joined nothing", async () => {
    // Prepare
    aws.s3.on(ListObjectsV2Command).resolves({});
    // Act
    await store().removeConnections(["a="]);
    // Assess
    expect(sent()).toEqual([["ListObjectsV2Command", "connection-channels/a%3D/"]]);
  });
});
