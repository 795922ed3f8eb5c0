import { describe, expect, it } from "vitest";
import {
  acceptedFrame,
  errorFrame,
  subscribedFrame,
  unsubscribedFrame,
} from "../../../src/protocol/frames.js";

describe("errorFrame", () => {
  it("serialises the code and the text under error", () => {
    // Prepare
    const rejection = { code: "INVALID_JSON", message: "send JSON" } as const;

    // Act
    const frame = errorFrame(rejection);

    // Assess
    expect(JSON.parse(frame)).toEqual({ error: { code: "INVALID_JSON", message: "send JSON" } });
  });

  it("writes error frames with only the context fields known", () => {
    // Prepare
    const bare = { code: "INVALID_JSON", message: "m" } as const;
    // Act
    const plain = errorFrame(bare);
    const full = errorFrame({
      code: "FORBIDDEN",
      message: "m",
      action: "subscribe",
      channel: "c",
      id: "i",
    });
    // Assess
    expect(plain).toBe('{"error":{"code":"INVALID_JSON","message":"m"}}');
    expect(full).toBe(
      '{"error":{"code":"FORBIDDEN","message":"m","action":"subscribe","channel":"c","id":"i"}}',
    );
  });
});

describe("acknowledgements", () => {
  it("builds the acknowledgements byte for byte", () => {
    // Prepare / Act / Assess
    expect(subscribedFrame("news/x")).toBe('{"action":"subscribed","channel":"news/x"}');
    expect(unsubscribedFrame("news/x")).toBe('{"action":"unsubscribed","channel":"news/x"}');
    expect(acceptedFrame("r1")).toBe('{"action":"accepted","id":"r1"}');
  });
});
