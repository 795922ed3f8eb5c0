import { describe, expect, it } from "vitest";
import { isValidChannel, isValidPattern } from "../../../src/contract/index.js";

describe("the grammar of channels and patterns", () => {
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
