import { describe, expect, it } from "vitest";
import { MAX_MESSAGE_BYTES } from "../../src/contract/index.js";
import { UsageError } from "../../util/lib/cli.js";
import { checkPayload, parseAttributes, publishInput, withChannel } from "../../util/lib/publish.js";

describe("checkPayload", () => {
  it("keeps the payload exactly as given, without the surrounding whitespace of a file or echo", () => {
    // Prepare
    const text = '  {"b": 1, "a": [true]}\n';

    // Act
    const message = checkPayload(text);

    // Assess
    expect(message).toBe('{"b": 1, "a": [true]}');
  });

  it.each(["{nope", "hello", "{'single':'quotes'}"])(
    "refuses %j as not JSON, saying how to quote",
    (text) => {
      // Prepare / Act
      const act = () => checkPayload(text);

      // Assess
      expect(act).toThrow(UsageError);
      expect(act).toThrow(/not JSON .*'\{"hello":"world"\}'/);
    },
  );

  it("refuses an empty payload", () => {
    // Prepare / Act
    const act = () => checkPayload(" \n");

    // Assess
    expect(act).toThrow(/empty/);
  });

  it("accepts exactly 128 KB and refuses one byte more, counting UTF-8 bytes", () => {
    // Prepare: a JSON string of multi-byte characters (é is 2 bytes) filling the limit exactly
    const exact = `"${"é".repeat((MAX_MESSAGE_BYTES - 2) / 2)}"`;
    const over = `"${"é".repeat((MAX_MESSAGE_BYTES - 2) / 2)}x"`;

    // Act
    const accepted = checkPayload(exact);
    const refused = () => checkPayload(over);

    // Assess
    expect(Buffer.byteLength(accepted)).toBe(MAX_MESSAGE_BYTES);
    expect(refused).toThrow(/131073 bytes, over the 131072-byte \(128 KB\)/);
  });
});

describe("parseAttributes", () => {
  it("turns key=value flags into String attributes, keeping any '=' in the value", () => {
    // Prepare
    const pairs = ["source=ci", "query=a=b", "trace.id-1_x=42"];

    // Act
    const attributes = parseAttributes(pairs);

    // Assess
    expect(attributes).toEqual({
      source: { DataType: "String", StringValue: "ci" },
      query: { DataType: "String", StringValue: "a=b" },
      "trace.id-1_x": { DataType: "String", StringValue: "42" },
    });
  });

  it.each([
    ["novalue", /key=value/],
    ["empty=", /non-empty value/],
    ["=x", /1 to 256 letters/],
    ["bad name=x", /1 to 256 letters/],
    [".dot=x", /cannot start or end with '.'/],
    ["a..b=x", /contain '..'/],
    ["AWS.thing=x", /reserved/],
    ["amazon.x=y", /reserved/],
  ])("refuses %j", (pair, message) => {
    // Prepare / Act
    const act = () => parseAttributes([pair]);

    // Assess
    expect(act).toThrow(UsageError);
    expect(act).toThrow(message);
  });

  it("refuses a name given twice and more than 10 attributes (SNS's limit)", () => {
    // Prepare
    const twice = ["a=1", "a=2"];
    const eleven = Array.from({ length: 11 }, (_, i) => `k${i}=v`);

    // Act / Assess
    expect(() => parseAttributes(twice)).toThrow(/given twice/);
    expect(() => parseAttributes(eleven)).toThrow(/at most 10/);
  });
});

describe("publishInput", () => {
  it("sends attributes only when there are some", () => {
    // Prepare
    const arn = "arn:aws:sns:eu-west-1:123456789012:fanout-input";

    // Act
    const bare = publishInput(arn, "{}", {});
    const withAttributes = publishInput(arn, "{}", parseAttributes(["k=v"]));

    // Assess
    expect(bare).toEqual({ TopicArn: arn, Message: "{}" });
    expect(withAttributes.MessageAttributes).toEqual({ k: { DataType: "String", StringValue: "v" } });
  });
});

describe("withChannel", () => {
  it("adds the channel attribute after checking the name, keeping the other attributes", () => {
    // Prepare
    const others = parseAttributes(["source=ci"]);
    // Act
    const attributes = withChannel("game-42/score", '{"home":3}', others);
    // Assess
    expect(attributes).toEqual({
      source: { DataType: "String", StringValue: "ci" },
      channel: { DataType: "String", StringValue: "game-42/score" },
    });
  });

  it("refuses a payload whose envelope {channel, message, id} would exceed 128 KB", () => {
    // Prepare: fits alone, but not once wrapped with the channel and a 36-character MessageId
    const message = JSON.stringify("x".repeat(MAX_MESSAGE_BYTES - 20));
    // Act
    const wrap = () => withChannel("news", message, {});
    // Assess
    expect(wrap).toThrow(UsageError);
    expect(wrap).toThrow(/once wrapped as \{"channel"/);
  });
});
