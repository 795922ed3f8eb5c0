import { describe, expect, it } from "vitest";
import { MAX_FRAME_BYTES, MAX_MESSAGE_BYTES } from "../../src/contract/index.js";
import { UsageError } from "../../util/lib/cli.js";
import { broadcastRequest, fragments, frameLine, PING_REQUEST, parseCount } from "../../util/lib/frames.js";

describe("shortcut requests", () => {
  it.each([
    ["hi", "hi"],
    ["42", 42],
    ['{"a":[1,null]}', { a: [1, null] }],
    ['"quoted"', "quoted"],
    ["{not json", "{not json"],
  ])("--broadcast %s sends the JSON value it spells, else the text", (text, message) => {
    // Prepare: nothing beyond the flag's value

    // Act
    const request = broadcastRequest(text);

    // Assess
    expect(JSON.parse(request)).toEqual({ action: "broadcast", message });
  });

  it("--ping sends the protocol's ping", () => {
    // Prepare / Act
    const request = JSON.parse(PING_REQUEST);

    // Assess
    expect(request).toEqual({ action: "ping" });
  });
});

describe("frameLine", () => {
  it("prints a one-line text frame as it came", () => {
    // Prepare
    const data = Buffer.from('{"hello":"world"}');

    // Act
    const line = frameLine(data, false);

    // Assess
    expect(line).toBe('{"hello":"world"}');
  });

  it("compacts JSON that spans lines, keeping its value", () => {
    // Prepare
    const data = Buffer.from('{\n  "a": "x y",\n  "b": [1, 2]\n}');

    // Act
    const line = frameLine(data, false);

    // Assess
    expect(line).toBe('{"a":"x y","b":[1,2]}');
  });

  it("escapes the line breaks of multi-line text that is not JSON", () => {
    // Prepare
    const data = Buffer.from("one\r\ntwo");

    // Act
    const line = frameLine(data, false);

    // Assess
    expect(line).toBe("one\\r\\ntwo");
  });

  it("shows a binary frame in base64", () => {
    // Prepare
    const data = Buffer.from([0, 1, 2, 255]);

    // Act
    const line = frameLine(data, true);

    // Assess
    expect(line).toBe("base64:AAEC/w==");
  });
});

describe("fragments", () => {
  it("sends a message that fits a frame as one frame", () => {
    // Prepare
    const text = '{"action":"ping"}';

    // Act
    const parts = fragments(text);

    // Assess
    expect(parts.map((part) => part.toString())).toEqual([text]);
  });

  it("splits a message over 32 KB into frames of at most 32 KB that join back to the same bytes", () => {
    // Prepare: multi-byte characters, so that a split can fall inside one
    const text = JSON.stringify({ action: "broadcast", message: "é€".repeat(20_000) });

    // Act
    const parts = fragments(text);

    // Assess
    expect(parts.length).toBe(Math.ceil(Buffer.byteLength(text) / MAX_FRAME_BYTES));
    expect(parts.every((part) => part.length <= MAX_FRAME_BYTES)).toBe(true);
    expect(Buffer.concat(parts).toString("utf8")).toBe(text);
  });

  it("refuses a message over 128 KB before sending", () => {
    // Prepare
    const text = "x".repeat(MAX_MESSAGE_BYTES + 1);

    // Act
    const act = () => fragments(text);

    // Assess
    expect(act).toThrow(/131073 bytes, over the 131072-byte/);
  });
});

describe("parseCount", () => {
  it("reads a positive whole number, and nothing when absent", () => {
    // Prepare / Act / Assess
    expect(parseCount("3")).toBe(3);
    expect(parseCount(undefined)).toBeUndefined();
  });

  it.each(["0", "-1", "1.5", "two", ""])("refuses --count %j as a usage error", (text) => {
    // Prepare / Act
    const act = () => parseCount(text);

    // Assess
    expect(act).toThrow(UsageError);
  });
});
