import { GoneException, LimitExceededException } from "@aws-sdk/client-apigatewaymanagementapi";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { S3ConnectionStore } from "../../src/connections.js";
import { bucketOf, connectionKey } from "../../src/contract/index.js";
import {
  classifySendFailure,
  FanoutError,
  fanOut,
  isConnectionReset,
  isGone,
  isThrottled,
  logFanout,
  type Send,
  SendTimeoutError,
  sendWithTimeout,
} from "../../src/fanout.js";
import { RecordingLog } from "./support/log.js";
import { connectionIds, MemoryStore } from "./support/store.js";

const payload = Buffer.from('{"message":"hi"}', "utf8");
const gone = () => new GoneException({ $metadata: { httpStatusCode: 410 }, message: "gone" });
const throttled = () =>
  new LimitExceededException({ $metadata: { httpStatusCode: 429 }, message: "slow down" });
/** What the SDK throws for a 410 without `x-amzn-ErrorType`: name `Unknown`, status 410. */
const bare410 = () =>
  Object.assign(new Error("UnknownError"), { name: "Unknown", $metadata: { httpStatusCode: 410 } });
const forbidden = () =>
  Object.assign(new Error("Forbidden"), { name: "ForbiddenException", $metadata: { httpStatusCode: 403 } });

/** A send that records who received what and fails for the ids in `failures`. */
function recordingSend(failures: Record<string, () => unknown> = {}) {
  const received: string[] = [];
  const send: Send = async (connectionId, data) => {
    const failure = failures[connectionId];
    if (failure) throw failure();
    received.push(`${connectionId}:${Buffer.from(data).toString("utf8")}`);
  };
  return { send, received };
}

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

  it("counts a recipient gone by name (GoneException) and removes its key", async () => {
    // Prepare
    const ids = connectionIds(5);
    const store = new MemoryStore(ids);
    const { send } = recordingSend({ [ids[2] as string]: gone });

    // Act
    const summary = await fanOut({ store, send }, payload);

    // Assess
    expect(summary).toMatchObject({ recipients: 5, delivered: 4, gone: 1, failed: 0, staleDeleted: 1 });
    expect(store.removeManyCalls).toEqual([[ids[2]]]);
    expect(store.ids.has(ids[2] as string)).toBe(false);
  });

  it("counts a bare 410 (surfacing as Unknown) as gone", async () => {
    // Prepare
    const ids = connectionIds(3);
    const store = new MemoryStore(ids);
    const { send } = recordingSend({ [ids[0] as string]: bare410 });

    // Act
    const summary = await fanOut({ store, send }, payload);

    // Assess
    expect(summary).toMatchObject({ delivered: 2, gone: 1, failed: 0 });
    expect(store.removeManyCalls).toEqual([[ids[0]]]);
  });

  it("retries a throttled send with jittered backoff until it is delivered", async () => {
    // Prepare
    const ids = connectionIds(2);
    let attempts = 0;
    const send: Send = async (connectionId) => {
      if (connectionId === ids[0] && attempts++ < 2) throw throttled();
    };
    const delays: number[] = [];
    const sleep = async (ms: number) => {
      delays.push(ms);
    };

    // Act
    const summary = await fanOut({ store: new MemoryStore(ids), send, sleep, random: () => 0.5 }, payload, {
      retryBaseDelayMs: 100,
      retryMaxDelayMs: 1000,
    });

    // Assess
    expect(summary).toMatchObject({ recipients: 2, delivered: 2, failed: 0, throttledRetries: 2 });
    expect(delays).toEqual([50, 100]);
  });

  it("retries once at once a send whose kept-alive connection had been closed, then counts it as failed", async () => {
    // Prepare
    const ids = connectionIds(3);
    const reset = () => Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    const attempts = new Map<string, number>();
    const send: Send = async (connectionId) => {
      const attempt = (attempts.get(connectionId) ?? 0) + 1;
      attempts.set(connectionId, attempt);
      if (connectionId === ids[0] && attempt === 1) throw reset();
      if (connectionId === ids[1]) throw reset();
    };
    const delays: number[] = [];

    // Act
    const summary = await fanOut(
      {
        store: new MemoryStore(ids),
        send,
        sleep: async (ms) => {
          delays.push(ms);
        },
      },
      payload,
    );

    // Assess
    expect(summary).toMatchObject({ recipients: 3, delivered: 2, failed: 1, resetRetries: 2 });
    expect(summary.failureReasons).toEqual({ Error: 1 });
    expect([attempts.get(ids[0] as string), attempts.get(ids[1] as string)]).toEqual([2, 2]);
    expect(delays).toEqual([]);
  });

  it("caps the backoff and counts a send still throttled after the last retry as failed", async () => {
    // Prepare
    const ids = connectionIds(3);
    const { send } = recordingSend({ [ids[1] as string]: throttled });
    const delays: number[] = [];
    const log = new RecordingLog();

    // Act
    const summary = await fanOut(
      {
        store: new MemoryStore(ids),
        send,
        log,
        random: () => 0.999,
        sleep: async (ms) => {
          delays.push(ms);
        },
      },
      payload,
      { throttleRetries: 4, retryBaseDelayMs: 100, retryMaxDelayMs: 300 },
    );
    logFanout(log, summary);

    // Assess
    expect(summary).toMatchObject({ delivered: 2, failed: 1, throttledRetries: 4 });
    expect(summary.failureReasons).toEqual({ "LimitExceededException (429)": 1 });
    expect(delays.map(Math.round)).toEqual([100, 200, 300, 300]);
    expect(log.lines[0]).toMatchObject({ level: "warn", message: "fan-out done" });
  });

  it("counts other failures by reason and still delivers to the rest", async () => {
    // Prepare
    const ids = connectionIds(6);
    const { send, received } = recordingSend({
      [ids[1] as string]: forbidden,
      [ids[3] as string]: forbidden,
      [ids[4] as string]: () => new TypeError("socket hang up"),
    });
    const log = new RecordingLog();

    // Act
    const summary = await fanOut({ store: new MemoryStore(ids), send, log }, payload);
    logFanout(log, summary);

    // Assess
    expect(received).toHaveLength(3);
    expect(summary).toMatchObject({ recipients: 6, delivered: 3, gone: 0, failed: 3 });
    expect(summary.failureReasons).toEqual({ "ForbiddenException (403)": 2, TypeError: 1 });
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]?.attributes.failureReasons).toEqual(summary.failureReasons);
  });

  it("gives up on a send that hangs past the per-call timeout, aborts it, and finishes the rest", async () => {
    // Prepare
    const ids = connectionIds(4);
    let hungSignal: AbortSignal | undefined;
    const send: Send = (connectionId, _data, signal) => {
      if (connectionId === ids[1]) {
        hungSignal = signal;
        return new Promise<void>(() => {}); // never settles, as in aws-sdk-js-v3 issue 7632
      }
      return Promise.resolve();
    };

    // Act
    const summary = await fanOut({ store: new MemoryStore(ids), send }, payload, { sendTimeoutMs: 30 });

    // Assess
    expect(summary).toMatchObject({ recipients: 4, delivered: 3, failed: 1, timedOut: 1 });
    expect(summary.failureReasons).toEqual({ SendTimeoutError: 1 });
    expect(hungSignal?.aborted).toBe(true);
    expect(hungSignal?.reason).toBeInstanceOf(SendTimeoutError);
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

  it("sends to every id already listed, then throws FanoutError when listing fails", async () => {
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
    logFanout(log, failure as FanoutError);

    // Assess
    expect(failure).toBeInstanceOf(FanoutError);
    expect((failure as FanoutError).cause).toBe(listingFailure);
    expect((failure as FanoutError).summary).toMatchObject({ recipients: 3, delivered: 3 });
    expect(received).toHaveLength(3);
    expect(log.lines.map((line) => [line.level, line.message])).toEqual([
      ["error", "fan-out incomplete: listing connections failed"],
    ]);
  });
  it("lets a reset retry use up no throttle retry and leave the first backoff as it was", async () => {
    // Prepare: reset, then throttled past every retry
    const reset = () => Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
    let attempt = 0;
    const send: Send = async () => {
      attempt++;
      throw attempt === 1 ? reset() : throttled();
    };
    const delays: number[] = [];

    // Act
    const summary = await fanOut(
      {
        store: new MemoryStore(connectionIds(1)),
        send,
        random: () => 0.999,
        sleep: async (ms) => {
          delays.push(ms);
        },
      },
      payload,
      { throttleRetries: 2, retryBaseDelayMs: 100, retryMaxDelayMs: 1000 },
    );

    // Assess: 1 send + 1 reset retry + 2 throttle retries, backoff from the base
    expect(attempt).toBe(4);
    expect(summary).toMatchObject({ failed: 1, resetRetries: 1, throttledRetries: 2 });
    expect(delays.map(Math.round)).toEqual([100, 200]);
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

describe("classifySendFailure", () => {
  const settings = { throttleRetries: 3, retryBaseDelayMs: 100, retryMaxDelayMs: 1000 };
  const reset = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
  it.each([
    ["a 410", gone(), { resets: 0, throttles: 0 }, { kind: "gone" }],
    ["a bare 410", bare410(), { resets: 1, throttles: 3 }, { kind: "gone" }],
    ["a first reset", reset, { resets: 0, throttles: 0 }, { kind: "retryNow" }],
    ["a reset after throttles", reset, { resets: 0, throttles: 2 }, { kind: "retryNow" }],
    [
      "a second reset",
      reset,
      { resets: 1, throttles: 0 },
      { kind: "fail", reason: "Error", timedOut: false },
    ],
    ["a first throttle", throttled(), { resets: 0, throttles: 0 }, { kind: "retryAfter", ceilingMs: 100 }],
    [
      "a throttle after a reset",
      throttled(),
      { resets: 1, throttles: 0 },
      { kind: "retryAfter", ceilingMs: 100 },
    ],
    ["a third throttle", throttled(), { resets: 0, throttles: 2 }, { kind: "retryAfter", ceilingMs: 400 }],
    [
      "a throttle past the retries",
      throttled(),
      { resets: 0, throttles: 3 },
      { kind: "fail", reason: "LimitExceededException (429)", timedOut: false },
    ],
    [
      "a timeout",
      new SendTimeoutError(100),
      { resets: 0, throttles: 0 },
      { kind: "fail", reason: "SendTimeoutError", timedOut: true },
    ],
    [
      "a 403",
      forbidden(),
      { resets: 0, throttles: 0 },
      { kind: "fail", reason: "ForbiddenException (403)", timedOut: false },
    ],
    [
      "a non-error value",
      "boom",
      { resets: 0, throttles: 0 },
      { kind: "fail", reason: "string", timedOut: false },
    ],
  ])("%s (retries so far %j) -> %j", (_label, error, state, expected) => {
    // Prepare: the error and state above

    // Act
    const outcome = classifySendFailure(error, state, settings);

    // Assess
    expect(outcome).toEqual(expected);
  });

  it("caps the backoff ceiling at retryMaxDelayMs", () => {
    // Prepare
    const state = { resets: 0, throttles: 9 };

    // Act
    const outcome = classifySendFailure(throttled(), state, { ...settings, throttleRetries: 10 });

    // Assess
    expect(outcome).toEqual({ kind: "retryAfter", ceilingMs: 1000 });
  });
});

describe("sendWithTimeout", () => {
  it("passes a rejection through unchanged", async () => {
    // Prepare
    const failure = gone();

    // Act
    const outcome = sendWithTimeout(() => Promise.reject(failure), "id", payload, 1000);

    // Assess
    await expect(outcome).rejects.toBe(failure);
  });
});

describe("error classification", () => {
  it.each([
    ["GoneException by name", true, false, gone()],
    ["a bare 410", true, false, bare410()],
    ["LimitExceededException", false, true, throttled()],
    [
      "a bare 429",
      false,
      true,
      Object.assign(new Error("x"), { name: "Unknown", $metadata: { httpStatusCode: 429 } }),
    ],
    [
      "TooManyRequestsException",
      false,
      true,
      Object.assign(new Error("x"), { name: "TooManyRequestsException" }),
    ],
    ["a 403", false, false, forbidden()],
    ["a non-error value", false, false, "boom"],
  ])("%s: gone %s, throttled %s", (_label, expectedGone, expectedThrottled, error) => {
    // Prepare: the error above

    // Act
    const result = [isGone(error), isThrottled(error)];

    // Assess
    expect(result).toEqual([expectedGone, expectedThrottled]);
  });

  it.each([
    ["ECONNRESET", true, Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" })],
    ["EPIPE", true, Object.assign(new Error("write EPIPE"), { code: "EPIPE" })],
    ["socket hang up without a code", true, new Error("socket hang up")],
    ["a timeout", false, new SendTimeoutError(100)],
    ["a 410", false, gone()],
    ["a non-error value", false, undefined],
  ])("%s: connection reset %s", (_label, expected, error) => {
    // Prepare: the error above

    // Act
    const result = isConnectionReset(error);

    // Assess
    expect(result).toBe(expected);
  });
});
