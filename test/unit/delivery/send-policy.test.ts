import { describe, expect, it } from "vitest";
import {
  classifySendFailure,
  isConnectionReset,
  isGone,
  isThrottled,
  SendTimeoutError,
  sendWithTimeout,
} from "../../../src/delivery/send-policy.js";
import { bare410, forbidden, gone, payload, throttled } from "../support/sends.js";

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
