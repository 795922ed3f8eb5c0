import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { bucketOf, connectionKey } from "../../../src/contract/index.js";
import { fanOut, ListingFailedError, logFanout } from "../../../src/delivery/engine.js";
import type { Send } from "../../../src/delivery/send-policy.js";
import { S3ConnectionStore } from "../../../src/stores/connections.js";
import { RecordingLog } from "../support/log.js";
import { gone, payload, recordingSend } from "../support/sends.js";
import { connectionIds, MemoryStore } from "../support/store.js";

const s3 = mockClient(S3Client);
afterEach(() => {
  s3.reset();
});

describe("fanOut", () => {
  it("delivers the payload once to every stored connection; its summary logs as one line", async () => {
    // Prepare
    const ids = connectionIds(25);
    const { send, received } = recordingSend();
    const log = new RecordingLog();

    // Act
    const summary = await fanOut({ store: new MemoryStore(ids), send, log }, payload, { concurrency: 4 });
    const linesDuringFanout = log.lines.length;
    logFanout(log, summary);

    // Assess
    expect(received.sort()).toEqual(ids.map((id) => `${id}:{"message":"hi"}`).sort());
    expect(summary).toMatchObject({ recipients: 25, delivered: 25, gone: 0, failed: 0, throttledRetries: 0 });
    expect(linesDuringFanout).toBe(0);
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toMatchObject({ level: "info", message: "fan-out done" });
    expect(log.lines[0]?.attributes).toMatchObject({ recipients: 25, delivered: 25 });
    expect(log.lines[0]?.attributes.durationMs).toEqual(expect.any(Number));
  });

  it("does nothing for an empty store", async () => {
    // Prepare
    const { send, received } = recordingSend();

    // Act
    const summary = await fanOut({ store: new MemoryStore([]), send }, payload);

    // Assess
    expect(received).toEqual([]);
    expect(summary).toMatchObject({ recipients: 0, delivered: 0, gone: 0, failed: 0 });
  });

  it("never has more sends in flight than the concurrency", async () => {
    // Prepare
    let inFlight = 0;
    let highest = 0;
    const send: Send = async () => {
      inFlight++;
      highest = Math.max(highest, inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
    };

    // Act
    const summary = await fanOut({ store: new MemoryStore(connectionIds(100), 30), send }, payload, {
      concurrency: 8,
    });

    // Assess
    expect(summary.delivered).toBe(100);
    expect(highest).toBe(8);
  });

  it("treats a concurrency or prefetch below 1 as 1 rather than waiting forever", async () => {
    // Prepare
    const ids = connectionIds(5);
    const { send, received } = recordingSend();

    // Act
    const summary = await fanOut({ store: new MemoryStore(ids, 2), send }, payload, {
      concurrency: 0,
      prefetchPages: 0,
    });

    // Assess
    expect(summary.delivered).toBe(5);
    expect(received).toHaveLength(5);
  });

  it("lists more than 1,000 keys page by page and starts sending before the last page has loaded", {
    timeout: 10_000,
  }, async () => {
    // Prepare
    const ids = connectionIds(2500);
    const page = (from: number, to: number, next?: string) => ({
      Contents: ids.slice(from, to).map((id) => ({ Key: connectionKey("active-connections", id) })),
      IsTruncated: next !== undefined,
      NextContinuationToken: next,
    });
    let firstSend: () => void = () => {};
    const firstSendDone = new Promise<void>((resolve) => {
      firstSend = resolve;
    });
    s3.on(ListObjectsV2Command, { ContinuationToken: undefined }).resolves(page(0, 1000, "t1"));
    // The last page is held back until a send has happened: a fan-out that listed everything first would hang.
    s3.on(ListObjectsV2Command, { ContinuationToken: "t1" }).resolves(page(1000, 2000, "t2"));
    s3.on(ListObjectsV2Command, { ContinuationToken: "t2" }).callsFake(async () => {
      await firstSendDone;
      return page(2000, 2500);
    });
    const store = new S3ConnectionStore(
      new S3Client({ region: "us-east-1" }),
      "bucket",
      "active-connections",
      {
        readFlatKeys: false,
      },
    );
    const received = new Set<string>();
    const send: Send = async (connectionId) => {
      received.add(connectionId);
      firstSend();
    };

    // Act
    const summary = await fanOut({ store, send }, payload, { concurrency: 50 });

    // Assess
    expect(summary).toMatchObject({ recipients: 2500, delivered: 2500 });
    expect(received).toEqual(new Set(ids));
    expect(s3.commandCalls(ListObjectsV2Command).map((call) => call.args[0].input)).toEqual([
      expect.objectContaining({ Prefix: "active-connections/", MaxKeys: 1000, ContinuationToken: undefined }),
      expect.objectContaining({ ContinuationToken: "t1" }),
      expect.objectContaining({ ContinuationToken: "t2" }),
    ]);
  });

  it("removes stale keys in batches of at most 1,000", async () => {
    // Prepare
    const ids = connectionIds(2600);
    const store = new MemoryStore(ids);
    const send: Send = async (connectionId) => {
      if (connectionId !== ids[0]) throw gone();
    };

    // Act
    const summary = await fanOut({ store, send }, payload, { concurrency: 64 });

    // Assess
    expect(summary).toMatchObject({ recipients: 2600, delivered: 1, gone: 2599, staleDeleted: 2599 });
    expect(store.removeManyCalls.map((batch) => batch.length)).toEqual([1000, 1000, 599]);
    expect(new Set(store.removeManyCalls.flat())).toEqual(new Set(ids.slice(1)));
    expect([...store.ids]).toEqual([ids[0]]);
  });

  it("counts stale keys it could not remove and warns once per failed batch", async () => {
    // Prepare
    const ids = connectionIds(3);
    const store = new MemoryStore(ids);
    store.removeMany = async () => {
      throw new Error("AccessDenied");
    };
    const { send } = recordingSend({ [ids[0] as string]: gone, [ids[2] as string]: gone });
    const log = new RecordingLog();

    // Act
    const summary = await fanOut({ store, send, log }, payload);
    logFanout(log, summary);

    // Assess
    expect(summary).toMatchObject({ delivered: 1, gone: 2, staleDeleted: 0, staleDeleteFailed: 2 });
    expect(log.find("removing stale connections failed")).toHaveLength(1);
    expect(log.find("fan-out done")[0]?.level).toBe("warn");
  });

  it("sends to every id already listed, then throws ListingFailedError when listing fails", async () => {
    // Prepare
    const ids = connectionIds(3);
    const listingFailure = new Error("SlowDown");
    const store = new MemoryStore([]);
    store.pages = async function* () {
      yield ids;
      throw listingFailure;
    };
    const { send, received } = recordingSend();
    const log = new RecordingLog();

    // Act
    const failure = await fanOut({ store, send, log }, payload).catch((error: unknown) => error);
    logFanout(log, failure as ListingFailedError);

    // Assess
    expect(failure).toBeInstanceOf(ListingFailedError);
    expect((failure as ListingFailedError).cause).toBe(listingFailure);
    expect((failure as ListingFailedError).summary).toMatchObject({ recipients: 3, delivered: 3 });
    expect(received).toHaveLength(3);
    expect(log.lines.map((line) => [line.level, line.message])).toEqual([
      ["error", "fan-out incomplete: listing connections failed"],
    ]);
  });
  it("sends to the ids of the source it is given, not the whole store", async () => {
    // Prepare
    const ids = connectionIds(60);
    const store = new MemoryStore(ids, 2);
    const { send, received } = recordingSend();
    const range = { from: 0, to: 128 };
    const inRange = ids.filter((id) => bucketOf(id) < 128);

    // Act
    const summary = await fanOut({ store, send, source: store.pages(range) }, payload);

    // Assess
    expect(inRange.length).toBeGreaterThan(0);
    expect(inRange.length).toBeLessThan(ids.length);
    expect(summary.recipients).toBe(inRange.length);
    expect(received.map((line) => line.split(":")[0]).sort()).toEqual(inRange.sort());
  });
});
