import { describe, expect, it } from "vitest";
import {
  canBroadcast,
  canPublish,
  canSubscribe,
  capabilitiesFromContext,
  matchesPattern,
  parseCapabilityClaim,
  serializeCapabilities,
  withClientPublishing,
} from "../../src/capabilities.js";
import { isValidChannel } from "../../src/channels.js";
import { ALL_RIGHTS, isValidPattern, NO_RIGHTS } from "../../src/contract/index.js";

describe("channel patterns", () => {
  it.each([
    ["news", "news", true],
    ["news", "news/x", false],
    ["news/*", "news/sport", true],
    ["news/*", "news", false],
    ["news/*", "news/sport/live", false],
    ["news/*/live", "news/sport/live", true],
    ["news/*/live", "news/sport/replay", false],
    ["*", "news", true],
    ["*", "news/sport", false],
    ["*/live", "sport/live", true],
    ["news/**", "news/sport", true],
    ["news/**", "news/sport/live/now", true],
    ["news/**", "news", false],
    ["news/**", "newsroom/x", false],
    ["**", "news", true],
    ["**", "a/b/c/d", true],
    ["news/*/**", "news/sport/live", true],
    ["news/*/**", "news/sport", false],
    ["News", "news", false],
  ])("%s matches %s: %s", (pattern, channel, expected) => {
    // Act
    const matched = matchesPattern(pattern, channel);
    // Assess
    expect(matched).toBe(expected);
  });

  it.each([
    ["news", true],
    ["news/*", true],
    ["news/**", true],
    ["**", true],
    ["a.b_c-d/1", true],
    ["", false],
    ["/news", false],
    ["news/", false],
    ["news//x", false],
    ["news/**/x", false],
    ["news/***", false],
    ["news/sp*rt", false],
    ["news/spört", false],
    ["news x", false],
    ["x".repeat(129), false],
    [42, false],
  ])("pattern %j is valid: %s", (pattern, expected) => {
    expect(isValidPattern(pattern)).toBe(expected);
  });

  it.each([
    ["news/sport", true],
    ["x".repeat(128), true],
    ["x".repeat(129), false],
    ["news/*", false],
    ["news/**", false],
    ["", false],
    ["a//b", false],
    [null, false],
  ])("channel %j is valid: %s", (channel, expected) => {
    expect(isValidChannel(channel)).toBe(expected);
  });
});

describe("the fanout claim", () => {
  it("reads a full claim", () => {
    // Act
    const capabilities = parseCapabilityClaim({
      broadcast: true,
      subscribe: ["news/*"],
      publish: ["news/**"],
    });
    // Assess
    expect(capabilities).toEqual({ broadcast: true, subscribe: ["news/*"], publish: ["news/**"] });
  });

  it("reads an absent claim and an empty one as no rights", () => {
    expect([parseCapabilityClaim(undefined), parseCapabilityClaim({})]).toEqual([NO_RIGHTS, NO_RIGHTS]);
  });

  it.each([
    ["null", null],
    ["an array", ["news"]],
    ["a string", "everything"],
    ["broadcast as a string", { broadcast: "true" }],
    ["subscribe as a string", { subscribe: "news/*" }],
    ["a pattern that is a number", { publish: [1] }],
    ["an invalid pattern", { publish: ["news/**/x"] }],
    ["more than 50 patterns", { subscribe: Array.from({ length: 51 }, (_, i) => `c${i}`) }],
  ])("refuses %s", (_name, claim) => {
    expect(parseCapabilityClaim(claim)).toBeUndefined();
  });

  it("passes on only the known keys in the authorizer context", () => {
    // Prepare
    const parsed = parseCapabilityClaim({ broadcast: true, admin: true, publish: ["a"] });
    // Act
    const serialized = serializeCapabilities(parsed ?? NO_RIGHTS);
    // Assess
    expect(JSON.parse(serialized)).toEqual({ broadcast: true, subscribe: [], publish: ["a"] });
  });
});

describe("capabilities from the authorizer context", () => {
  const context = (fanout: unknown) => ({ principalId: "alice", sub: "alice", fanout });

  it("reads what the authorizer passed on", () => {
    // Prepare
    const authorizer = context(
      serializeCapabilities({ broadcast: true, subscribe: ["news/*"], publish: [] }),
    );
    // Act
    const capabilities = capabilitiesFromContext(authorizer, "token");
    // Assess
    expect(capabilities).toEqual({ broadcast: true, subscribe: ["news/*"], publish: [] });
  });

  it.each([
    ["no authorizer", undefined],
    ["an authorizer without fanout", { principalId: "alice" }],
    ["fanout that is not JSON", context("{broadcast:true")],
    ["fanout that is JSON null", context("null")],
    ["fanout that is a JSON array", context("[true]")],
    ["fanout with a wrong type", context('{"broadcast":"yes"}')],
    ["fanout as an object instead of a string", context({ broadcast: true })],
    ["fanout that is absurdly long", context(`{"publish":[${'"a",'.repeat(5000)}"a"]}`)],
  ])("grants nothing in token mode for %s", (_name, authorizer) => {
    expect(capabilitiesFromContext(authorizer, "token")).toEqual(NO_RIGHTS);
  });

  it("grants everything in open mode, whatever the context", () => {
    expect(capabilitiesFromContext(undefined, "open")).toEqual(ALL_RIGHTS);
  });
});

describe("rights", () => {
  const reader = { broadcast: false, subscribe: ["news/*"], publish: [] };
  const writer = { broadcast: true, subscribe: [], publish: ["news/**"] };

  it("answers broadcast, subscribe and publish from the patterns", () => {
    // Act
    const answers = {
      readerBroadcast: canBroadcast(reader),
      readerSubscribe: canSubscribe(reader, "news/sport"),
      readerSubscribeDeep: canSubscribe(reader, "news/sport/live"),
      readerPublish: canPublish(reader, "news/sport"),
      writerBroadcast: canBroadcast(writer),
      writerPublishDeep: canPublish(writer, "news/sport/live"),
      writerSubscribe: canSubscribe(writer, "news/sport"),
    };
    // Assess
    expect(answers).toEqual({
      readerBroadcast: false,
      readerSubscribe: true,
      readerSubscribeDeep: false,
      readerPublish: false,
      writerBroadcast: true,
      writerPublishDeep: true,
      writerSubscribe: false,
    });
  });

  it("never lets a pattern be used as a channel", () => {
    // Subscribing to "news/*" literally would be a wildcard subscription, which the contract excludes.
    expect([canSubscribe(ALL_RIGHTS, "news/*"), canPublish(ALL_RIGHTS, "**")]).toEqual([false, false]);
  });

  it("open mode may do everything with any valid channel", () => {
    expect([
      canBroadcast(ALL_RIGHTS),
      canSubscribe(ALL_RIGHTS, "a/b/c"),
      canPublish(ALL_RIGHTS, "x"),
    ]).toEqual([true, true, true]);
  });

  it("client publishing switched off leaves subscribing only", () => {
    // Act
    const restricted = withClientPublishing(ALL_RIGHTS, false);
    // Assess
    expect(restricted).toEqual({ broadcast: false, subscribe: ["**"], publish: [] });
    expect(withClientPublishing(writer, true)).toBe(writer);
  });
});
