import { describe, expect, it } from "vitest";
import { parseFrame } from "../../src/actions.js";
import {
  acceptedFrame,
  checkChannel,
  checkId,
  deliveryFrame,
  generateId,
  parseMembershipRequest,
  parsePublishRequest,
  subscribedFrame,
  unsubscribedFrame,
} from "../../src/channels.js";
import { MAX_CHANNEL_LENGTH, MAX_MESSAGE_BYTES } from "../../src/contract/index.js";
import { broadcastFrame, errorFrame } from "../../src/protocol.js";

const text = (data: Uint8Array) => Buffer.from(data).toString("utf8");

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
    if (!checked.ok) expect(checked.rejection.code).toBe("INVALID_CHANNEL");
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
    expect(checked).toMatchObject({ ok: false, rejection: { code: "INVALID_CHANNEL" } });
    expect(!checked.ok && checked.rejection.message).toContain(described);
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
    const message = checked.ok ? "" : checked.rejection.message;
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
    else expect(checked.rejection.code).toBe("INVALID_ID");
  });

  it("generates ids that fit the id grammar", () => {
    // Prepare / Act
    const ids = Array.from({ length: 20 }, generateId);
    // Assess
    for (const id of ids) expect(checkId({ id })).toEqual({ ok: true, value: id });
    expect(new Set(ids).size).toBe(20);
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
    expect(parsed).toMatchObject({ ok: false, rejection: expected });
  });

  it("does not echo an over-long channel or id in the context", () => {
    // Prepare
    const frame = { action: "publish", channel: "x".repeat(100_000), id: "y".repeat(100), message: 1 };
    // Act
    const parsed = parsePublishRequest(frame, undefined);
    // Assess
    expect(parsed.ok).toBe(false);
    const rejection = parsed.ok ? undefined : parsed.rejection;
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
    expect(parsed).toMatchObject({ ok: false, rejection: { action: "publish", ...expected } });
  });

  it.each([
    ['{"action":"publish","channel":"n","id":"bad id","message":1}', { action: "publish", channel: "n" }],
    ['{"action":"broadcast","id":"","message":1}', { action: "broadcast" }],
    ['{"action":"broadcast","id":7,"message":1}', { action: "broadcast" }],
  ])("reads the id once, in parseFrame, and refuses %s with INVALID_ID", (text, where) => {
    // Prepare / Act
    const parsed = parseFrame(text, false);
    // Assess
    expect(parsed).toEqual({
      ok: false,
      rejection: { code: "INVALID_ID", message: expect.stringContaining('"id" must be'), ...where },
    });
  });

  it("passes the checked id to broadcast and publish, and ignores none of the other fields", () => {
    // Prepare / Act
    const broadcast = parseFrame('{"action":"broadcast","message":[1],"id":"b-1"}', false);
    const plain = parseFrame('{"action":"broadcast","message":[1]}', false);
    const publish = parseFrame('{"action":"publish","channel":"a/b","message":null,"id":"p_2"}', false);
    // Assess
    expect(broadcast).toEqual({ ok: true, request: { action: "broadcast", message: [1], id: "b-1" } });
    expect(plain).toEqual({ ok: true, request: { action: "broadcast", message: [1], id: undefined } });
    expect(publish).toEqual({
      ok: true,
      request: { action: "publish", channel: "a/b", message: null, id: "p_2" },
    });
  });

  it("keeps the first protocol's error bytes for a broadcast without an id, and adds context with one", () => {
    // Prepare / Act
    const plain = parseFrame('{"action":"broadcast"}', false);
    const withId = parseFrame('{"action":"broadcast","id":"x1"}', false);
    // Assess
    expect(!plain.ok && errorFrame(plain.rejection)).toBe(
      '{"error":{"code":"MISSING_MESSAGE","message":"A broadcast needs a \\"message\\" field (any JSON value), such as {\\"action\\":\\"broadcast\\",\\"message\\":\\"hello\\"}."}}',
    );
    expect(!withId.ok && withId.rejection).toMatchObject({ action: "broadcast", id: "x1" });
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

describe("channel frames", () => {
  it("builds the acknowledgements byte for byte", () => {
    // Prepare / Act / Assess
    expect(subscribedFrame("news/x")).toBe('{"action":"subscribed","channel":"news/x"}');
    expect(unsubscribedFrame("news/x")).toBe('{"action":"unsubscribed","channel":"news/x"}');
    expect(acceptedFrame("r1")).toBe('{"action":"accepted","id":"r1"}');
  });

  it("builds the delivery frame in the contract's key order", () => {
    // Prepare / Act
    const frame = deliveryFrame("news/x", { t: "é" }, "r1");
    // Assess
    expect(frame.ok && text(frame.value)).toBe('{"channel":"news/x","message":{"t":"é"},"id":"r1"}');
  });

  it("builds a broadcast with an id as {message, id}", () => {
    // Prepare / Act
    const frame = broadcastFrame("hi", "r1");
    const plain = broadcastFrame("hi");
    // Assess
    expect(frame.ok && text(frame.data)).toBe('{"message":"hi","id":"r1"}');
    expect(plain.ok && text(plain.data)).toBe('{"message":"hi"}');
  });

  it("measures the 128 KB limit in UTF-8 bytes, not characters", () => {
    // Prepare: "é" is 2 bytes in UTF-8, so a frame of exactly 128 KB holds about 64 K characters
    const overhead = '{"channel":"c","message":"","id":"r"}'.length;
    const room = MAX_MESSAGE_BYTES - overhead;
    const fits = "é".repeat(Math.floor(room / 2)) + "a".repeat(room % 2);
    const tooBig = `${fits}a`;
    // Act
    const ok = deliveryFrame("c", fits, "r");
    const refused = deliveryFrame("c", tooBig, "r");
    // Assess
    expect(tooBig.length).toBeLessThan(MAX_MESSAGE_BYTES / 2 + 1);
    expect(ok.ok && ok.value.byteLength).toBe(MAX_MESSAGE_BYTES);
    expect(refused).toMatchObject({
      ok: false,
      rejection: { code: "PAYLOAD_TOO_LARGE", action: "publish", channel: "c", id: "r" },
    });
    expect(!refused.ok && refused.rejection.message).toContain(`${MAX_MESSAGE_BYTES + 1} bytes`);
  });

  it("refuses a message nested too deeply with the one depth guard of protocol.ts (MESSAGE_TOO_DEEP)", () => {
    // Prepare: 20,000 levels parse fine (40 KB) but JSON.stringify recurses and overflows the stack
    const deep = JSON.parse(`${"[".repeat(20_000)}${"]".repeat(20_000)}`);
    // Act
    const frame = deliveryFrame("c", deep, "r");
    // Assess
    expect(frame).toMatchObject({
      ok: false,
      rejection: { code: "MESSAGE_TOO_DEEP", action: "publish", channel: "c" },
    });
    expect(!frame.ok && frame.rejection.message).toContain("1000 levels deep");
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
