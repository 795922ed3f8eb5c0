import { describe, expect, it } from "vitest";
import { broadcastFrame, channelFrame, MAX_MESSAGE_BYTES } from "../../../src/contract/index.js";
import { parseRequest } from "../../../src/protocol/requests.js";

const text = (data: Uint8Array) => Buffer.from(data).toString("utf8");

/** A broadcast whose message nests `depth` arrays: about 2 bytes per level, far below 128 KB. */
function deeplyNested(depth: number): string {
  return `{"action":"broadcast","message":${"[".repeat(depth)}${"]".repeat(depth)}}`;
}

describe("broadcastFrame", () => {
  it('wraps the message as {"message": M} in UTF-8', () => {
    // Prepare
    const message = { text: "héllo" };

    // Act
    const frame = broadcastFrame(message);

    // Assess
    expect(frame.ok).toBe(true);
    if (frame.ok) expect(Buffer.from(frame.value).toString("utf8")).toBe('{"message":{"text":"héllo"}}');
  });

  it("accepts a frame of exactly 128 KB", () => {
    // Prepare: {"message":"…"} adds 14 bytes around the string
    const message = "a".repeat(MAX_MESSAGE_BYTES - 14);

    // Act
    const frame = broadcastFrame(message);

    // Assess
    expect(frame.ok).toBe(true);
    if (frame.ok) expect(frame.value.byteLength).toBe(MAX_MESSAGE_BYTES);
  });

  it("refuses a frame one byte over 128 KB", () => {
    // Prepare
    const message = "a".repeat(MAX_MESSAGE_BYTES - 13);

    // Act
    const frame = broadcastFrame(message);

    // Assess
    expect(frame).toEqual({
      ok: false,
      error: {
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

describe("broadcastFrame with a deeply nested message", () => {
  it("refuses a message nested 4,100 levels deep (an 8 KB frame) with MESSAGE_TOO_DEEP instead of throwing", () => {
    // Prepare
    const parsed = parseRequest(deeplyNested(4100), false);
    if (!parsed.ok || parsed.value.action !== "broadcast") throw new Error("the frame should parse");

    // Act
    const frame = broadcastFrame(parsed.value.message);

    // Assess
    expect(frame).toEqual({
      ok: false,
      error: {
        code: "MESSAGE_TOO_DEEP",
        message:
          "The broadcast's message nests arrays or objects more than 1000 levels deep; send a flatter JSON value.",
      },
    });
  });

  it.each([
    [1001, false],
    [1000, true],
  ])("at %i levels deep, sends it: %s", (depth, sent) => {
    // Prepare
    const parsed = parseRequest(deeplyNested(depth), false);
    if (!parsed.ok || parsed.value.action !== "broadcast") throw new Error("the frame should parse");

    // Act
    const frame = broadcastFrame(parsed.value.message);

    // Assess
    expect(frame.ok).toBe(sent);
  });
});

describe("channelFrame", () => {
  it("builds the delivery frame in the contract's key order", () => {
    // Prepare / Act
    const frame = channelFrame("news/x", { t: "é" }, "r1");
    // Assess
    expect(frame.ok && text(frame.value)).toBe('{"channel":"news/x","message":{"t":"é"},"id":"r1"}');
  });

  it("builds a broadcast with an id as {message, id}", () => {
    // Prepare / Act
    const frame = broadcastFrame("hi", "r1");
    const plain = broadcastFrame("hi");
    // Assess
    expect(frame.ok && text(frame.value)).toBe('{"message":"hi","id":"r1"}');
    expect(plain.ok && text(plain.value)).toBe('{"message":"hi"}');
  });

  it("measures the 128 KB limit in UTF-8 bytes, not characters", () => {
    // Prepare: "é" is 2 bytes in UTF-8, so a frame of exactly 128 KB holds about 64 K characters
    const overhead = '{"channel":"c","message":"","id":"r"}'.length;
    const room = MAX_MESSAGE_BYTES - overhead;
    const fits = "é".repeat(Math.floor(room / 2)) + "a".repeat(room % 2);
    const tooBig = `${fits}a`;
    // Act
    const ok = channelFrame("c", fits, "r");
    const refused = channelFrame("c", tooBig, "r");
    // Assess
    expect(tooBig.length).toBeLessThan(MAX_MESSAGE_BYTES / 2 + 1);
    expect(ok.ok && ok.value.byteLength).toBe(MAX_MESSAGE_BYTES);
    expect(refused).toMatchObject({ ok: false, error: { code: "PAYLOAD_TOO_LARGE" } });
    expect(!refused.ok && refused.error.message).toContain(`${MAX_MESSAGE_BYTES + 1} bytes`);
  });

  it("refuses a message nested too deeply with the one depth guard (MESSAGE_TOO_DEEP)", () => {
    // Prepare: 20,000 levels parse fine (40 KB) but JSON.stringify recurses and overflows the stack
    const deep = JSON.parse(`${"[".repeat(20_000)}${"]".repeat(20_000)}`);
    // Act
    const frame = channelFrame("c", deep, "r");
    // Assess
    expect(frame).toMatchObject({ ok: false, error: { code: "MESSAGE_TOO_DEEP" } });
    expect(!frame.ok && frame.error.message).toContain("1000 levels deep");
  });
});
