import { describe, expect, it } from "vitest";
import { ACTIONS, EXAMPLES, parseFrame } from "../../src/actions.js";
import { CLIENT_ACTIONS, MAX_MESSAGE_BYTES, ROUTE_KEYS, selectRouteKey } from "../../src/contract/index.js";
import { broadcastFrame, errorFrame } from "../../src/protocol.js";

/** A broadcast whose message nests `depth` arrays: about 2 bytes per level, far below 128 KB. */
function deeplyNested(depth: number): string {
  return `{"action":"broadcast","message":${"[".repeat(depth)}${"]".repeat(depth)}}`;
}

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

  it("names a deeply nested non-string action without throwing", () => {
    // Prepare
    const body = `{"action":${"[".repeat(4100)}${"]".repeat(4100)}}`;

    // Act
    const parsed = parseFrame(body, false);

    // Assess
    expect(parsed).toEqual({
      ok: false,
      rejection: {
        code: "UNKNOWN_ACTION",
        message: `Unknown action (a deeply nested value); send ${EXAMPLES}.`,
      },
    });
  });

  it("reads every action's own example as that action", () => {
    // Prepare
    const examples = CLIENT_ACTIONS.map((action) => [action, ACTIONS[action].example] as const);

    // Act
    const parsed = examples.map(([, example]) => parseFrame(example, false));

    // Assess
    expect(parsed.map((frame) => frame.ok && frame.request.action)).toEqual([...CLIENT_ACTIONS]);
    expect(examples.map(([, example]) => selectRouteKey(example))).toEqual([...CLIENT_ACTIONS]);
  });

  it("lists every action's example in the UNKNOWN_ACTION text", () => {
    // Prepare
    const body = '{"action":"shout"}';

    // Act
    const parsed = parseFrame(body, false);

    // Assess
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.rejection.message).toBe(
        'Unknown action "shout"; send {"action":"broadcast","message":"hello"}, {"action":"ping"}, ' +
          '{"action":"subscribe","channel":"news"}, {"action":"unsubscribe","channel":"news"} or ' +
          '{"action":"publish","channel":"news","message":"hello"}.',
      );
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
      // The echo is cut to 64 characters; the rest is the fixed list of examples.
      expect(parsed.rejection.message.length).toBeLessThan(
        64 + "Unknown action ; send .".length + EXAMPLES.length + 1,
      );
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

describe("broadcastFrame with a deeply nested message", () => {
  it("refuses a message nested 4,100 levels deep (an 8 KB frame) with MESSAGE_TOO_DEEP instead of throwing", () => {
    // Prepare
    const parsed = parseFrame(deeplyNested(4100), false);
    if (!parsed.ok || parsed.request.action !== "broadcast") throw new Error("the frame should parse");

    // Act
    const frame = broadcastFrame(parsed.request.message);

    // Assess
    expect(frame).toEqual({
      ok: false,
      rejection: {
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
    const parsed = parseFrame(deeplyNested(depth), false);
    if (!parsed.ok || parsed.request.action !== "broadcast") throw new Error("the frame should parse");

    // Act
    const frame = broadcastFrame(parsed.request.message);

    // Assess
    expect(frame.ok).toBe(sent);
  });
});

describe("selectRouteKey", () => {
  it.each([
    ['{"action":"broadcast","message":1}', "broadcast"],
    ['{"action":"ping"}', "ping"],
    ['{"action":"$connect"}', "$default"],
    ['{"action":"shout"}', "$default"],
    ['{"action":["ping"]}', "$default"],
    ["[1]", "$default"],
    ["nope", "$default"],
    [undefined, "$default"],
  ])("selects the route of %j as %s", (body, routeKey) => {
    // Prepare: the frame above (undefined: a binary frame)

    // Act
    const selected = selectRouteKey(body);

    // Assess
    expect(selected).toBe(routeKey);
    expect(ROUTE_KEYS).toContain(selected);
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
