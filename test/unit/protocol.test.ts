import { describe, expect, it } from "vitest";
import { MAX_MESSAGE_BYTES } from "../../src/limits.js";
import { broadcastFrame, errorFrame, parseFrame } from "../../src/protocol.js";

describe("parseFrame", () => {
  it("reads a broadcast, keeping any JSON value as the message", () => {
    // Prepare
    const body = '{"action":"broadcast","message":{"n":[1,null]}}';

    // Act
    const parsed = parseFrame(body, false);

    // Assess
    expect(parsed).toEqual({ ok: true, request: { action: "broadcast", message: { n: [1, null] } } });
  });

  it("accepts null as a broadcast message (it is a JSON value)", () => {
    // Prepare
    const body = '{"action":"broadcast","message":null}';

    // Act
    const parsed = parseFrame(body, false);

    // Assess
    expect(parsed).toEqual({ ok: true, request: { action: "broadcast", message: null } });
  });

  it.each([
    [undefined, false, "INVALID_JSON"],
    ["", false, "INVALID_JSON"],
    ["{nope", false, "INVALID_JSON"],
    ["[1,2]", false, "NOT_AN_OBJECT"],
    ['"ping"', false, "NOT_AN_OBJECT"],
    ["null", false, "NOT_AN_OBJECT"],
    ['{"message":"hi"}', false, "MISSING_ACTION"],
    ['{"action":"shout"}', false, "UNKNOWN_ACTION"],
    ['{"action":7}', false, "UNKNOWN_ACTION"],
    ['{"action":"broadcast"}', false, "MISSING_MESSAGE"],
    ['{"action":"ping"}', true, "BINARY_NOT_SUPPORTED"],
  ])("refuses %j (binary %s) with %s", (body, binary, code) => {
    // Prepare: the frame above

    // Act
    const parsed = parseFrame(body, binary);

    // Assess
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.rejection.code).toBe(code);
      expect(parsed.rejection.message).toMatch(/"action"/);
    }
  });

  it("shortens a long unknown action in the error text", () => {
    // Prepare
    const body = JSON.stringify({ action: "x".repeat(500) });

    // Act
    const parsed = parseFrame(body, false);

    // Assess
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.rejection.message).toContain(`"${"x".repeat(60)}...`);
      expect(parsed.rejection.message.length).toBeLessThan(200);
    }
  });
});

describe("broadcastFrame", () => {
  it('wraps the message as {"message": M} in UTF-8', () => {
    // Prepare
    const message = { text: "héllo" };

    // Act
    const frame = broadcastFrame(message);

    // Assess
    expect(frame.ok).toBe(true);
    if (frame.ok) expect(Buffer.from(frame.data).toString("utf8")).toBe('{"message":{"text":"héllo"}}');
  });

  it("accepts a frame of exactly 128 KB", () => {
    // Prepare: {"message":"…"} adds 14 bytes around the string
    const message = "a".repeat(MAX_MESSAGE_BYTES - 14);

    // Act
    const frame = broadcastFrame(message);

    // Assess
    expect(frame.ok).toBe(true);
    if (frame.ok) expect(frame.data.byteLength).toBe(MAX_MESSAGE_BYTES);
  });

  it("refuses a frame one byte over 128 KB", () => {
    // Prepare
    const message = "a".repeat(MAX_MESSAGE_BYTES - 13);

    // Act
    const frame = broadcastFrame(message);

    // Assess
    expect(frame).toEqual({
      ok: false,
      rejection: {
        code: "PAYLOAD_TOO_LARGE",
        message: expect.stringContaining(`${MAX_MESSAGE_BYTES + 1} bytes`),
      },
    });
  });

  it("measures bytes, not characters: 65,530 two-byte characters are too large", () => {
    // Prepare
    const message = "é".repeat(65_530);

    // Act
    const frame = broadcastFrame(message);

    // Assess
    expect(message.length).toBeLessThan(MAX_MESSAGE_BYTES);
    expect(frame.ok).toBe(false);
  });
});

describe("errorFrame", () => {
  it("serialises the code and the text under error", () => {
    // Prepare
    const rejection = { code: "INVALID_JSON", message: "send JSON" } as const;

    // Act
    const frame = errorFrame(rejection);

    // Assess
    expect(JSON.parse(frame)).toEqual({ error: { code: "INVALID_JSON", message: "send JSON" } });
  });
});
