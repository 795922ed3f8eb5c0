import { describe, expect, it } from "vitest";
import {
  epochAt,
  historyKey,
  historyPrefix,
  type Position,
  positionOfHistoryKey,
  withPosition,
} from "../../../src/contract/index.js";
import { CLAIM_BUDGET_MS, HEAD_CACHE_MS, S3HistoryStore } from "../../../src/stores/history.js";
import { S3Bucket, StoreError } from "../../../src/stores/s3.js";
import { S3Objects } from "../support/s3-objects.js";

const NOW = Date.UTC(2026, 11, 7, 10, 30);
const EPOCH = epochAt(NOW);

/** A store over `objects` with a clock the test moves; every environment of a stack is one such store. */
function storeOver(objects: S3Objects, clock = { now: NOW }) {
  const pauses: number[] = [];
  const store = new S3HistoryStore(new S3Bucket(objects.client(), "bucket"), {
    now: () => clock.now,
    // A pause passes on the test's clock, a second at a time, so that the write's time budget runs out.
    sleep: async (ms) => {
      pauses.push(ms);
      clock.now += 1000;
    },
  });
  return { store, pauses, clock };
}

/** The frame of message `n`, to be written at a position. */
const frameOf = (n: number) => (position: Position) =>
  withPosition(new TextEncoder().encode(`{"channel":"news","message":${n},"id":"m${n}"}`), position);

const text = (data: Uint8Array) => new TextDecoder().decode(data);

async function collect(frames: AsyncIterable<Uint8Array> | undefined): Promise<string[] | undefined> {
  if (frames === undefined) return undefined;
  const texts: string[] = [];
  for await (const frame of frames) texts.push(text(frame));
  return texts;
}

describe("S3HistoryStore.append", () => {
  it("begins an empty history at offset 1 of the current hour's epoch, then counts on; each write is the frame", async () => {
    // Prepare
    const objects = new S3Objects();
    const { store } = storeOver(objects);

    // Act
    const first = await store.append("news", frameOf(1));
    const second = await store.append("news", frameOf(2));

    // Assess
    expect(first.position).toEqual({ epoch: EPOCH, offset: 1 });
    expect(second.position).toEqual({ epoch: EPOCH, offset: 2 });
    expect(text(second.data)).toBe(`{"channel":"news","message":2,"id":"m2","offset":2,"epoch":"${EPOCH}"}`);
    expect(objects.keys()).toEqual([
      historyKey("news", { epoch: EPOCH, offset: 2 }),
      historyKey("news", { epoch: EPOCH, offset: 1 }),
    ]);
    expect(text(objects.objects.get(historyKey("news", second.position)) ?? new Uint8Array())).toBe(
      text(second.data),
    );
    // One listing to find the (empty) head; then the environment's own last write is its guess.
    expect(objects.calls).toEqual([
      ["ListObjectsV2Command", historyPrefix("news")],
      ["PutObjectCommand", historyKey("news", first.position)],
      ["PutObjectCommand", historyKey("news", second.position)],
    ]);
  });

  it("gives 60 concurrent writes from 4 environments the offsets 1 to 60, each once, without a hole", async () => {
    // Prepare: four environments (four caches) over one bucket
    const objects = new S3Objects();
    const environments = Array.from({ length: 4 }, () => storeOver(objects).store);

    // Act
    const claimed = await Promise.all(
      Array.from({ length: 60 }, (_, n) =>
        (environments[n % 4] as S3HistoryStore).append("news", frameOf(n)),
      ),
    );

    // Assess
    const offsets = claimed.map((c) => c.position.offset).sort((a, b) => a - b);
    expect(offsets).toEqual(Array.from({ length: 60 }, (_, n) => n + 1));
    expect(objects.keys(historyPrefix("news"))).toHaveLength(60);
    // Every stored body is the message that won that position, its position inside.
    for (const { position, data } of claimed)
      expect(objects.objects.get(historyKey("news", position))).toEqual(data);
  });

  it("after another environment wrote, loses the guessed position (412), lists the head once and takes the next", async () => {
    // Prepare: A wrote 1, B wrote 2 and 3; A still guesses 2
    const objects = new S3Objects();
    const a = storeOver(objects).store;
    const b = storeOver(objects).store;
    await a.append("news", frameOf(1));
    await b.append("news", frameOf(2));
    await b.append("news", frameOf(3));
    objects.calls.length = 0;

    // Act
    const claimed = await a.append("news", frameOf(4));

    // Assess
    expect(claimed.position.offset).toBe(4);
    expect(objects.calls.map(([command]) => command)).toEqual([
      "PutObjectCommand",
      "ListObjectsV2Command",
      "PutObjectCommand",
    ]);
  });

  it("waits and tries the same position again after a 409 (a write of that key in flight)", async () => {
    // Prepare
    const objects = new S3Objects();
    const { store, pauses } = storeOver(objects);
    objects.putAnswers.push(409);

    // Act
    const claimed = await store.append("news", frameOf(1));

    // Assess
    expect(claimed.position).toEqual({ epoch: EPOCH, offset: 1 });
    expect(pauses).toHaveLength(1);
    expect(pauses[0]).toBeGreaterThanOrEqual(10);
    expect(objects.calls.filter(([command]) => command === "PutObjectCommand").map(([, key]) => key)).toEqual(
      [historyKey("news", { epoch: EPOCH, offset: 1 }), historyKey("news", { epoch: EPOCH, offset: 1 })],
    );
  });

  it("fails with a StoreError once its time budget is spent, and at once when S3 fails", async () => {
    // Prepare: every conditional write conflicts (each pause a second of the test's clock); then S3 itself fails
    const objects = new S3Objects();
    const { store } = storeOver(objects);
    const tries = CLAIM_BUDGET_MS / 1000;
    objects.putAnswers.push(...Array.from({ length: tries }, () => 409));

    // Act
    const exhausted = await store.append("news", frameOf(1)).catch((error: unknown) => error);
    objects.putAnswers.push(500);
    const failed = await store.append("news", frameOf(1)).catch((error: unknown) => error);

    // Assess
    expect(exhausted).toBeInstanceOf(StoreError);
    expect((exhausted as Error).message).toContain(`after ${tries} tries in ${CLAIM_BUDGET_MS} ms`);
    expect(objects.count("PutObjectCommand")).toBe(tries + 1);
    expect(failed).toMatchObject({ name: "StoreError", operation: "PutObject" });
    expect(objects.keys()).toEqual([]);
  });

  it("trusts its last write for 10 minutes only, then lists the head again", async () => {
    // Prepare
    const objects = new S3Objects();
    const { store, clock } = storeOver(objects);
    await store.append("news", frameOf(1));
    clock.now += HEAD_CACHE_MS - 1;
    await store.append("news", frameOf(2));
    const listedBefore = objects.count("ListObjectsV2Command");

    // Act
    clock.now += HEAD_CACHE_MS;
    await store.append("news", frameOf(3));

    // Assess
    expect(listedBefore).toBe(1);
    expect(objects.count("ListObjectsV2Command")).toBe(2);
  });

  it("begins a later epoch once every message has expired, and the head is then the new epoch's", async () => {
    // Prepare: two messages, then the lifecycle rule removes both a day later
    const objects = new S3Objects();
    const { store, clock } = storeOver(objects);
    await store.append("news", frameOf(1));
    await store.append("news", frameOf(2));
    objects.objects.clear();
    clock.now += 25 * 3_600_000;

    // Act
    const claimed = await store.append("news", frameOf(3));

    // Assess
    expect(claimed.position).toEqual({ epoch: epochAt(clock.now), offset: 1 });
    expect(Number.parseInt(claimed.position.epoch, 36)).toBeGreaterThan(Number.parseInt(EPOCH, 36));
    expect(await store.head("news")).toEqual(claimed.position);
  });
});

describe("S3HistoryStore.head, range and latest", () => {
  /** A history with offsets 1..count in EPOCH, written directly. */
  function historyOf(count: number, epoch = EPOCH): S3Objects {
    const objects = new S3Objects();
    for (let n = 1; n <= count; n++)
      objects.objects.set(historyKey("news", { epoch, offset: n }), frameOf(n)({ epoch, offset: n }));
    return objects;
  }

  it("finds the newest position with one listing of one key, across epochs; none in an empty history", async () => {
    // Prepare: an older epoch that has not expired yet, and the current one
    const objects = historyOf(3);
    const older = epochAt(NOW - 30 * 3_600_000);
    objects.objects.set(historyKey("news", { epoch: older, offset: 9 }), new Uint8Array());
    const { store } = storeOver(objects);

    // Act
    const head = await store.head("news");
    const none = await store.head("sport");

    // Assess
    expect(head).toEqual({ epoch: EPOCH, offset: 3 });
    expect(none).toBeUndefined();
    expect(objects.calls).toEqual([
      ["ListObjectsV2Command", historyPrefix("news")],
      ["ListObjectsV2Command", historyPrefix("sport")],
    ]);
  });

  it("reads a range oldest first, listing before reading; an empty range reads nothing", async () => {
    // Prepare
    const objects = historyOf(6);
    const { store } = storeOver(objects);

    // Act
    const frames = await collect(await store.range("news", EPOCH, 2, 5));
    const none = await collect(await store.range("news", EPOCH, 6, 6));

    // Assess
    expect(frames?.map((f) => JSON.parse(f).message)).toEqual([3, 4, 5]);
    expect(none).toEqual([]);
    expect(objects.calls.map(([command]) => command)).toEqual([
      "ListObjectsV2Command",
      "GetObjectCommand",
      "GetObjectCommand",
      "GetObjectCommand",
    ]);
  });

  it("answers undefined for a range whose oldest messages have expired, and reads none of it", async () => {
    // Prepare: 1 and 2 expired
    const objects = historyOf(6);
    objects.objects.delete(historyKey("news", { epoch: EPOCH, offset: 1 }));
    objects.objects.delete(historyKey("news", { epoch: EPOCH, offset: 2 }));
    const { store } = storeOver(objects);

    // Act
    const gone = await store.range("news", EPOCH, 1, 6);
    const kept = await collect(await store.range("news", EPOCH, 2, 6));

    // Assess
    expect(gone).toBeUndefined();
    expect(kept?.map((f) => JSON.parse(f).message)).toEqual([3, 4, 5, 6]);
  });

  it("fails a range whose message expires between the listing and the read with a StoreError", async () => {
    // Prepare: the read of offset 2 finds nothing
    const objects = historyOf(3);
    const { store } = storeOver(objects);
    const frames = await store.range("news", EPOCH, 0, 3);
    objects.objects.delete(historyKey("news", { epoch: EPOCH, offset: 2 }));

    // Act
    const failure = await collect(frames).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(StoreError);
  });

  it("returns the newest messages of the newest epoch, oldest first, at most the count", async () => {
    // Prepare
    const objects = historyOf(5);
    const older = epochAt(NOW - 30 * 3_600_000);
    objects.objects.set(historyKey("news", { epoch: older, offset: 7 }), new Uint8Array());
    const { store } = storeOver(objects);

    // Act
    const three = await store.latest("news", 3);
    const all = await store.latest("news", 100);
    const empty = await store.latest("sport", 10);

    // Assess
    expect(three.map((f) => JSON.parse(text(f)).message)).toEqual([3, 4, 5]);
    expect(all.map((f) => JSON.parse(text(f)).message)).toEqual([1, 2, 3, 4, 5]);
    expect(empty).toEqual([]);
  });
});

describe("the history's key layout", () => {
  it("sorts the newest message first, epochs before offsets, and reads positions back from keys", () => {
    // Prepare
    const positions: Position[] = [
      { epoch: "a0", offset: 1 },
      { epoch: "a0", offset: 2 },
      { epoch: "a0", offset: 10 },
      { epoch: "a1", offset: 1 },
      { epoch: "zzzzzz", offset: 36 ** 10 - 1 },
    ];

    // Act
    const keys = positions.map((position) => historyKey("news/sport", position));

    // Assess
    expect([...keys].sort()).toEqual([...keys].reverse());
    expect(keys.map((key) => positionOfHistoryKey("news/sport", key))).toEqual(positions);
    expect(keys[0]).toMatch(/^channel-history\/news%2Fsport\/[0-9a-z]{6}\/[0-9a-z]{10}$/);
    expect(positionOfHistoryKey("news/sport", `${historyPrefix("news/sport")}folder/`)).toBeUndefined();
    expect(
      positionOfHistoryKey("news/sport", `${historyPrefix("news/sport")}000000/zzzzzzzzzz`),
    ).toBeUndefined();
  });
});
