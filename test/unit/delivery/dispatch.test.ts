import { describe, expect, it } from "vitest";
import { splitBuckets } from "../../../src/contract/index.js";
import { type Audience, EVERYONE, storeAudience } from "../../../src/delivery/audience.js";
import { createDispatch, type DispatchSettings } from "../../../src/delivery/dispatch.js";
import { ListingFailedError } from "../../../src/delivery/engine.js";
import type { Send } from "../../../src/delivery/send-policy.js";
import { type ShardJob, type ShardQueue, ShardQueueError } from "../../../src/delivery/shard-job.js";
import { RecordingLog } from "../support/log.js";
import { MemoryMemberships } from "../support/memberships.js";
import { gone as goneError } from "../support/sends.js";
import { connectionIds, MemoryStore } from "../support/store.js";

const ENDPOINT = "https://7b8s192d6i.execute-api.us-east-1.amazonaws.com/primary";
const FRAME = Buffer.from('{"message":"Hello everyone!"}', "utf8");
const DISPATCHED_AT = 1767225600000;

/** A queue that keeps what it was given, or fails. */
class MemoryQueue implements ShardQueue {
  readonly jobs: ShardJob[] = [];
  failWith: Error | undefined;
  async enqueue(jobs: readonly ShardJob[]): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.jobs.push(...jobs);
  }
}

function setup(options: {
  ids?: string[];
  pageSize?: number;
  queue?: boolean;
  channels?: Record<string, string[]>;
  /** Recipients whose send fails with 410. */
  gone?: string[];
}) {
  const store = new MemoryStore(options.ids ?? [], options.pageSize ?? 1000);
  const memberships = new MemoryMemberships(options.channels ?? {});
  const queue = options.queue === false ? undefined : new MemoryQueue();
  const log = new RecordingLog();
  const received: string[] = [];
  const gone = new Set(options.gone ?? []);
  const send: Send = async (connectionId) => {
    if (gone.has(connectionId)) throw goneError();
    received.push(connectionId);
  };
  let listings = 0;
  const source = storeAudience(store, memberships);
  const counted = {
    pages: (audience: Audience, range: Parameters<typeof source.pages>[1]) => {
      listings++;
      return source.pages(audience, range);
    },
    removeGone: source.removeGone,
  };
  const settings: DispatchSettings = { shards: 4, inlineMax: 5, fanout: { concurrency: 4 } };
  const dispatch = createDispatch(
    {
      source: counted,
      store,
      send,
      endpoint: ENDPOINT,
      queue,
      log,
      dispatchId: "req-1",
      now: () => DISPATCHED_AT,
    },
    settings,
  );
  return { dispatch, store, memberships, queue, log, received, listings: () => listings };
}

describe("dispatch", () => {
  it("sends a small audience in this invocation, from the pages it listed to decide (one listing)", async () => {
    // Prepare
    const ids = connectionIds(5);
    const { dispatch, queue, received, log, listings } = setup({ ids, pageSize: 2 });
    // Act
    const result = await dispatch(EVERYONE, FRAME);
    // Assess
    expect(result).toMatchObject({ mode: "inline", summary: { recipients: 5, delivered: 5 } });
    expect(received.sort()).toEqual([...ids].sort());
    expect(queue?.jobs).toEqual([]);
    expect(listings()).toBe(1);
    expect(log.lines.map((line) => [line.message, line.attributes.mode])).toEqual([
      ["fan-out dispatched", "inline"],
      ["fan-out done", undefined],
    ]);
  });

  it("cuts a large audience into one queue message per shard and sends nothing itself", async () => {
    // Prepare
    const ids = connectionIds(6);
    const { dispatch, queue, received, log } = setup({ ids, pageSize: 2 });
    // Act
    const result = await dispatch(EVERYONE, FRAME);
    // Assess: stopped listing after the page that crossed the limit (3 pages of 2 = 6 > 5)
    expect(result).toEqual({ mode: "sharded", shards: 4, probed: 6 });
    expect(received).toEqual([]);
    expect(queue?.jobs).toEqual(
      splitBuckets(4).map((range, index) => ({
        v: 1,
        audience: { kind: "everyone" },
        range,
        shard: { index, count: 4 },
        endpoint: ENDPOINT,
        data: FRAME.toString("base64"),
        dispatchId: "req-1",
        dispatchedAt: DISPATCHED_AT,
      })),
    );
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]).toMatchObject({
      level: "info",
      message: "fan-out dispatched",
      attributes: { audience: "everyone", mode: "sharded", shards: 4, probed: 6 },
    });
  });

  it("shards a channel the same way, naming the channel in every job", async () => {
    // Prepare
    const members = connectionIds(8, "m");
    const { dispatch, queue } = setup({ channels: { "news/x": members } });
    // Act
    const result = await dispatch({ kind: "channel", channel: "news/x" }, FRAME);
    // Assess
    expect(result).toMatchObject({ mode: "sharded", shards: 4 });
    expect(queue?.jobs.map((job) => job.audience)).toEqual(
      Array.from({ length: 4 }, () => ({ kind: "channel", channel: "news/x" })),
    );
  });

  it("deletes the member keys of a channel's gone recipients directly, besides removing their connections", async () => {
    // Prepare: two members, one gone (an orphan the reverse index may not know)
    const { dispatch, memberships, store, received } = setup({
      ids: ["live=", "dead="],
      channels: { room: ["live=", "dead="] },
      gone: ["dead="],
    });
    // Act
    const result = await dispatch({ kind: "channel", channel: "room" }, FRAME);
    // Assess
    expect(result).toMatchObject({ mode: "inline", summary: { delivered: 1, gone: 1, staleDeleted: 1 } });
    expect(received).toEqual(["live="]);
    expect(memberships.removedMembers).toEqual([["room", ["dead="]]]);
    expect(memberships.of("room")).toEqual(["live="]);
    expect(store.removeManyCalls).toEqual([["dead="]]);
  });

  it("runs everything inline when there is no shard queue", async () => {
    // Prepare
    const ids = connectionIds(50);
    const { dispatch, received, log } = setup({ ids, queue: false });
    // Act
    const result = await dispatch(EVERYONE, FRAME);
    // Assess
    expect(result).toMatchObject({ mode: "inline", summary: { delivered: 50 } });
    expect(received).toHaveLength(50);
    expect(log.lines[0]?.attributes).toMatchObject({ mode: "inline", reason: "no shard queue" });
  });

  it("throws a logged ListingFailedError when the deciding listing fails, having sent nothing", async () => {
    // Prepare
    const { dispatch, store, log, received } = setup({ ids: connectionIds(3) });
    store.pages = () => {
      throw new Error("SlowDown");
    };
    // Act
    const failure = await dispatch(EVERYONE, FRAME).catch((error: unknown) => error);
    // Assess
    expect(failure).toBeInstanceOf(ListingFailedError);
    expect(received).toEqual([]);
    expect(log.lines[0]).toMatchObject({
      level: "error",
      message: "fan-out incomplete: listing connections failed",
    });
  });

  it("throws the queue's error, logged, when shards could not be enqueued", async () => {
    // Prepare
    const { dispatch, queue, log } = setup({ ids: connectionIds(10) });
    if (queue) queue.failWith = new ShardQueueError(2, 4);
    // Act
    const failure = await dispatch(EVERYONE, FRAME).catch((error: unknown) => error);
    // Assess
    expect(failure).toBeInstanceOf(ShardQueueError);
    expect(log.lines[0]).toMatchObject({
      level: "error",
      message: "fan-out dispatch failed: shards not enqueued",
    });
  });
});
