import { describe, expect, it } from "vitest";
import {
  hasRight,
  matchesPattern,
  parseRightsClaim,
  rightsFromContext,
  serializeRights,
  withClientPublishing,
} from "../../../src/auth/rights.js";
import { ALL_RIGHTS, NO_RIGHTS } from "../../../src/contract/index.js";

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
});

describe("the fanout claim", () => {
  it("reads a full claim", () => {
    // Act
    const rights = parseRightsClaim({
      broadcast: true,
      subscribe: ["news/*"],
      publish: ["news/**"],
    });
    // Assess
    expect(rights).toEqual({ broadcast: true, subscribe: ["news/*"], publish: ["news/**"] });
  });

  it("reads an absent claim and an empty one as no rights", () => {
    expect([parseRightsClaim(undefined), parseRightsClaim({})]).toEqual([NO_RIGHTS, NO_RIGHTS]);
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
    expect(parseRightsClaim(claim)).toBeUndefined();
  });

  it("passes on only the known keys in the authorizer context", () => {
    // Prepare
    const parsed = parseRightsClaim({ broadcast: true, admin: true, publish: ["a"] });
    // Act
    const serialized = serializeRights(parsed ?? NO_RIGHTS);
    // Assess
    expect(JSON.parse(serialized)).toEqual({ broadcast: true, subscribe: [], publish: ["a"] });
  });
});

describe("rights from the authorizer context", () => {
  const context = (fanout: unknown) => ({ principalId: "alice", sub: "alice", fanout });

  it("reads what the authorizer passed on", () => {
    // Prepare
    const authorizer = context(serializeRights({ broadcast: true, subscribe: ["news/*"], publish: [] }));
    // Act
    const rights = rightsFromContext(authorizer, "token");
    // Assess
    expect(rights).toEqual({ broadcast: true, subscribe: ["news/*"], publish: [] });
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
    expect(rightsFromContext(authorizer, "token")).toEqual(NO_RIGHTS);
  });

  it("grants everything in open mode, whatever the context", () => {
    expect(rightsFromContext(undefined, "open")).toEqual(ALL_RIGHTS);
  });
});

describe("rights", () => {
  const reader = { broadcast: false, subscribe: ["news/*"], publish: [] };
  const writer = { broadcast: true, subscribe: [], publish: ["news/**"] };

  it("answers broadcast, subscribe and publish from the patterns", () => {
    // Act
    const answers = {
      readerBroadcast: hasRight(reader, "broadcast"),
      readerSubscribe: hasRight(reader, "subscribe", "news/sport"),
      readerSubscribeDeep: hasRight(reader, "subscribe", "news/sport/live"),
      readerPublish: hasRight(reader, "publish", "news/sport"),
      writerBroadcast: hasRight(writer, "broadcast"),
      writerPublishDeep: hasRight(writer, "publish", "news/sport/live"),
      writerSubscribe: hasRight(writer, "subscribe", "news/sport"),
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
    expect([hasRight(ALL_RIGHTS, "subscribe", "news/*"), hasRight(ALL_RIGHTS, "publish", "**")]).toEqual([
      false,
      false,
    ]);
  });

  it("open mode may do everything with any valid channel", () => {
    expect([
      hasRight(ALL_RIGHTS, "broadcast"),
      hasRight(ALL_RIGHTS, "subscribe", "a/b/c"),
      hasRight(ALL_RIGHTS, "publish", "x"),
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
