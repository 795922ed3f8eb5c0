import { describe, expect, it } from "vitest";
import { fanOut, logFanout } from "../../../src/delivery/engine.js";
import { type Send, SendTimeoutError } from "../../../src/delivery/send-policy.js";
import { RecordingLog } from "../support/log.js";
import { bare410, forbidden, gone, payload, recordingSend, throttled } from "../support/sends.js";
import { connectionIds, MemoryStore } from "../support/store.js";

/** What the engine does with each kind of failed send: the send policy applied over a whole fan-out. */
describe("fanOut, failed sends", () => {
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
});
