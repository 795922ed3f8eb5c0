import { describe, expect, it } from "vitest";
import { CLIENT_ACTIONS, MAX_CHANNEL_LENGTH, selectRouteKey } from "../../../src/contract/index.js";
import { errorFrame } from "../../../src/protocol/frames.js";
import {
  checkChannel,
  checkId,
  EXAMPLES,
  parseMembershipRequest,
  parsePublishRequest,
  parseRequest,
  REQUEST_GRAMMAR,
} from "../../../src/protocol/requests.js";

describe("parseRequest", () => {
  it("reads a broadcast, keeping any JSON value as the message", () => {
    // Prepare
    const body = '{"action":"broadcast","message":{"n":[1,null]}}';

    // Act
    const parsed = parseRequest(body, false);

    // Assess
    expect(parsed).toEqual({ ok: true, value: { action: "broadcast", message: { n: [1, null] } } });
  });

  it("accepts null as a broadcast message (it is a JSON value)", () => {
    // Prepare
    const body = '{"action":"broadcast","message":null}';

    // Act
    const parsed = parseRequest(body, false);

    // Assess
    expect(parsed).toEqual({ ok: true, value: { action: "broadcast", message: null } });
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
    const parsed = parseRequest(body, binary);

    // Assess
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error.code).toBe(code);
      expect(parsed.error.message).toMatch(/"action"/);
    }
  });

  it("names a deeply nested non-string action without throwing", () => {
    // Prepare
    const body = `{"action":${"[".repeat(4100)}${"]".repeat(4100)}}`;

    // Act
    const parsed = parseRequest(body, false);

    // Assess
    expect(parsed).toEqual({
      ok: false,
      error: {
        code: "UNKNOWN_ACTION",
        message: `Unknown action (a deeply nested value); send ${EXAMPLES}.`,
      },
    });
  });

  it("reads every action's own example as that action", () => {
    // Prepare
    const examples = CLIENT_ACTIONS.map((action) => [action, REQUEST_GRAMMAR[action].example] as const);

    // Act
    const parsed = examples.map(([, example]) => parseRequest(example, false));

    // Assess
    expect(parsed.map((frame) => frame.ok && frame.value.action)).toEqual([...CLIENT_ACTIONS]);
    expect(examples.map(([, example]) => selectRouteKey(example))).toEqual([...CLIENT_ACTIONS]);
  });

  it("lists every action's example in the UNKNOWN_ACTION text", () => {
    // Prepare
    const body = '{"action":"shout"}';

    // Act
    const parsed = parseRequest(body, false);

    // Assess
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error.message).toBe(
        'Unknown action "shout"; send {"action":"broadcast","message":"hello"}, {"action":"ping"}, ' +
          '{"action":"subscribe","channel":"news"}, {"action":"unsubscribe","channel":"news"}, ' +
          '{"action":"publish","channel":"news","message":"hello"} or {"action":"history","channel":"news","limit":10}.',
      );
    }
  });

  it("shortens a long unknown action in the error text", () => {
    // Prepare
    const body = JSON.stringify({ action: "x".repeat(500) });

    // Act
    const parsed = parseRequest(body, false);

    // Assess
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error.message).toContain(`"${"x".repeat(60)}...`);
      // The echo is cut to 64 characters; the rest is the fixed list of examples.
      expect(parsed.error.message.length).toBeLessThan(
        64 + "Unknown action ; send .".length + EXAMPLES.length + 1,
      );
    }
  });
});

describe("channel grammar", () => {
  it.each([
    ["news", true],
    ["news/sport", true],
    ["a/b/c/d", true],
    ["A-Z_0.9", true],
    ["..", true],
    ["x".repeat(MAX_CHANNEL_LENGTH), true],
    ["x".repeat(MAX_CHANNEL_LENGTH + 1), false],
    ["", false],
    ["/news", false],
    ["news/", false],
    ["news//sport", false],
    ["news/*", false],
    ["news/**", false],
    ["news sport", false],
    ["nouvelles/é", false],
    ["news\u0000", false],
    ["news%2Fsport", false],
  ])("%j valid: %s", (channel, valid) => {
    // Prepare / Act
    const checked = checkChannel(channel);
    // Assess
    expect(checked.ok).toBe(valid);
    if (!checked.ok) expect(checked.error.code).toBe("INVALID_CHANNEL");
  });

  it.each([
    [42, "a number"],
    [null, "null"],
    [["news"], "an array"],
    [{ name: "news" }, "an object"],
  ])("refuses a non-string channel %j and says what it got", (channel, described) => {
    // Prepare / Act
    const checked = checkChannel(channel);
    // Assess
    expect(checked).toMatchObject({ ok: false, error: { code: "INVALID_CHANNEL" } });
    expect(!checked.ok && checked.error.message).toContain(described);
  });

  it.each([
    ["/news", 'a leading "/"'],
    ["news/", 'a trailing "/"'],
    ["a//b", 'a doubled "/"'],
    ["news/*", 'contains "*"'],
  ])("says what is wrong with %j (%s) and shows a valid name", (channel, fault) => {
    // Prepare / Act
    const checked = checkChannel(channel);
    // Assess
    const message = checked.ok ? "" : checked.error.message;
    expect(message).toContain(fault);
    expect(message).toContain('"news/sport"');
  });
});

describe("id grammar", () => {
  it.each([
    [{}, true, undefined],
    [{ id: "a" }, true, "a"],
    [{ id: "A-z_09" }, true, "A-z_09"],
    [{ id: "x".repeat(64) }, true, "x".repeat(64)],
    [{ id: "x".repeat(65) }, false, undefined],
    [{ id: "" }, false, undefined],
    [{ id: "a.b" }, false, undefined],
    [{ id: "a/b" }, false, undefined],
    [{ id: 7 }, false, undefined],
    [{ id: null }, false, undefined],
  ])("%j valid: %s", (frame, valid, id) => {
    // Prepare / Act
    const checked = checkId(frame);
    // Assess
    expect(checked.ok).toBe(valid);
    if (checked.ok) expect(checked.value).toBe(id);
    else expect(checked.error.code).toBe("INVALID_ID");
  });
});

describe("parsing channel frames", () => {
  it("reads a subscribe", () => {
    // Prepare / Act
    const parsed = parseMembershipRequest({ action: "subscribe", channel: "news/x" }, "subscribe");
    // Assess
    expect(parsed).toEqual({ ok: true, value: { action: "subscribe", channel: "news/x" } });
  });

  it.each([
    [{ action: "subscribe" }, "subscribe", { code: "MISSING_CHANNEL", action: "subscribe" }],
    [
      { action: "unsubscribe", channel: "a//b" },
      "unsubscribe",
      { code: "INVALID_CHANNEL", action: "unsubscribe", channel: "a//b" },
    ],
  ] as const)("refuses %j with context", (frame, action, expected) => {
    // Prepare / Act
    const parsed = parseMembershipRequest(frame, action);
    // Assess
    expect(parsed).toMatchObject({ ok: false, error: expected });
  });

  it("does not echo an over-long channel or id in the context", () => {
    // Prepare
    const frame = { action: "publish", channel: "x".repeat(100_000), id: "y".repeat(100), message: 1 };
    // Act
    const parsed = parsePublishRequest(frame, undefined);
    // Assess
    expect(parsed.ok).toBe(false);
    const rejection = parsed.ok ? undefined : parsed.error;
    expect(rejection).toMatchObject({ code: "INVALID_CHANNEL", action: "publish" });
    expect(rejection).not.toHaveProperty("channel");
    expect(rejection).not.toHaveProperty("id");
  });

  it.each([
    [{ action: "publish", message: 1 }, { code: "MISSING_CHANNEL" }],
    [
      { action: "publish", channel: "n", id: "r1" },
      { code: "MISSING_MESSAGE", channel: "n", id: "r1" },
    ],
  ])("refuses the publish %j", (frame, expected) => {
    // Prepare / Act
    const parsed = parsePublishRequest(frame, "id" in frame ? String(frame.id) : undefined);
    // Assess
    expect(parsed).toMatchObject({ ok: false, error: { action: "publish", ...expected } });
  });

  it.each([
    ['{"action":"publish","channel":"n","id":"bad id","message":1}', { action: "publish", channel: "n" }],
    ['{"action":"broadcast","id":"","message":1}', { action: "broadcast" }],
    ['{"action":"broadcast","id":7,"message":1}', { action: "broadcast" }],
  ])("reads the id once, in parseRequest, and refuses %s with INVALID_ID", (text, where) => {
    // Prepare / Act
    const parsed = parseRequest(text, false);
    // Assess
    expect(parsed).toEqual({
      ok: false,
      error: { code: "INVALID_ID", message: expect.stringContaining('"id" must be'), ...where },
    });
  });

  it("passes the checked id to broadcast and publish, and ignores none of the other fields", () => {
    // Prepare / Act
    const broadcast = parseRequest('{"action":"broadcast","message":[1],"id":"b-1"}', false);
    const plain = parseRequest('{"action":"broadcast","message":[1]}', false);
    const publish = parseRequest('{"action":"publish","channel":"a/b","message":null,"id":"p_2"}', false);
    // Assess
    expect(broadcast).toEqual({ ok: true, value: { action: "broadcast", message: [1], id: "b-1" } });
    expect(plain).toEqual({ ok: true, value: { action: "broadcast", message: [1], id: undefined } });
    expect(publish).toEqual({
      ok: true,
      value: { action: "publish", channel: "a/b", message: null, id: "p_2" },
    });
  });

  it("keeps the first protocol's error bytes for a broadcast without an id, and adds context with one", () => {
    // Prepare / Act
    const plain = parseRequest('{"action":"broadcast"}', false);
    const withId = parseRequest('{"action":"broadcast","id":"x1"}', false);
    // Assess
    expect(!plain.ok && errorFrame(plain.error)).toBe(
      '{"error":{"code":"MISSING_MESSAGE","message":"A broadcast needs a \\"message\\" field (any JSON value), such as {\\"action\\":\\"broadcast\\",\\"message\\":\\"hello\\"}."}}',
    );
    expect(!withId.ok && withId.error).toMatchObject({ action: "broadcast", id: "x1" });
  });

  it("reads a publish with and without an id, any JSON message included null", () => {
    // Prepare / Act
    const withId = parsePublishRequest({ action: "publish", channel: "c", message: null, id: "r1" }, "r1");
    const without = parsePublishRequest({ action: "publish", channel: "c", message: { a: [1] } }, undefined);
    // Assess
    expect(withId).toEqual({ ok: true, value: { action: "publish", channel: "c", message: null, id: "r1" } });
    expect(without).toEqual({
      ok: true,
      value: { action: "publish", channel: "c", message: { a: [1] }, id: undefined },
    });
  });
});
