import { describe, expect, it } from "vitest";
import { checkOrigin, headerValue, parseAllowedOrigins } from "../../../src/auth/origin.js";

describe("the Origin allow-list", () => {
  it("parses and normalises a comma-separated list", () => {
    // Act
    const list = parseAllowedOrigins(" https://App.Example.com , http://localhost:5173/,null ");
    // Assess
    expect(list).toEqual(["https://app.example.com", "http://localhost:5173", "null"]);
  });

  it.each([[undefined], [""], [" , "]])("reads %j as no list", (raw) => {
    expect(parseAllowedOrigins(raw)).toBeUndefined();
  });

  it.each([["app.example.com"], ["https://app.example.com/path"], ["https://app.example.com?x=1"]])(
    "refuses %s, which is not an origin",
    (raw) => {
      expect(() => parseAllowedOrigins(raw)).toThrow(/not an origin/);
    },
  );

  it.each([
    ["a listed origin", { Origin: "https://app.example.com" }, true],
    ["a listed origin in another case", { origin: "HTTPS://APP.EXAMPLE.COM" }, true],
    ["no Origin (not a browser)", { Host: "x" }, true],
    ["no headers at all", null, true],
    ["an unlisted origin", { Origin: "https://evil.example.com" }, false],
    ["the opaque origin null", { Origin: "null" }, false],
  ])("%s: allowed %s", (_name, headers, allowed) => {
    // Act
    const check = checkOrigin(headers, ["https://app.example.com"]);
    // Assess
    expect(check.allowed).toBe(allowed);
  });

  it("allows everything without a list and truncates a refused origin for the log", () => {
    // Prepare
    const long = `https://${"a".repeat(500)}.example.com`;
    // Act
    const open = checkOrigin({ Origin: long }, undefined);
    const refused = checkOrigin({ Origin: long }, ["https://app.example.com"]);
    // Assess
    expect(open).toEqual({ allowed: true });
    expect(refused.allowed === false && refused.origin.length).toBe(200);
  });

  it("reads a header case-insensitively and ignores non-string values", () => {
    expect([headerValue({ ORIGIN: "x" }, "origin"), headerValue({ origin: 1 }, "origin")]).toEqual([
      "x",
      undefined,
    ]);
  });
});
