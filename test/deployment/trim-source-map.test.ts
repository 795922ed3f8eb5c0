import { describe, expect, it } from "vitest";
import { decodeMappings, type SourceMapV3, trimSourceMap } from "../../util/build/trim-source-map.js";

/**
 * A map of a two-line bundle: line 0 mixes our code (src/a.ts) and a dependency's; line 1 is the dependency's, then
 * ours (src/b.ts). Written by hand from the Base64 VLQ rules, so the decoder is checked against known values.
 * Segments: line 0: col 0 -> a.ts 0:0 name "x"; col 10 -> dep 5:2; col 20 -> dep 6:0; col 30 -> a.ts 1:4.
 *           line 1: col 0 -> dep 7:0; col 8 -> b.ts 2:0 name "y".
 */
const MAP: SourceMapV3 = {
  version: 3,
  sources: ["../../src/a.ts", "../../node_modules/dep/index.js", "../../src/b.ts"],
  names: ["x", "y"],
  // [0,0,0,0,0] [10,1,5,2] [10,0,1,-2] [10,-1,-5,4] ; [0,1,6,-4] [8,1,-5,0,1]
  mappings: "AAAAA,UCKE,UACF,UDLI;ACMJ,QCLAC",
};

describe("trimSourceMap", () => {
  it("decodes hand-written mappings to the positions they encode", () => {
    // Prepare / Act
    const segments = decodeMappings(MAP);
    // Assess
    expect(segments).toEqual([
      { line: 0, column: 0, source: "../../src/a.ts", originalLine: 0, originalColumn: 0, name: "x" },
      { line: 0, column: 10, source: "../../node_modules/dep/index.js", originalLine: 5, originalColumn: 2 },
      { line: 0, column: 20, source: "../../node_modules/dep/index.js", originalLine: 6, originalColumn: 0 },
      { line: 0, column: 30, source: "../../src/a.ts", originalLine: 1, originalColumn: 4 },
      { line: 1, column: 0, source: "../../node_modules/dep/index.js", originalLine: 7, originalColumn: 0 },
      { line: 1, column: 8, source: "../../src/b.ts", originalLine: 2, originalColumn: 0, name: "y" },
    ]);
  });

  it("keeps our segments at the same positions and marks the dependency's columns unmapped", () => {
    // Prepare
    const keep = (source: string) => !source.includes("node_modules/");
    // Act
    const trimmed = trimSourceMap(MAP, keep);
    // Assess
    expect(trimmed.sources).toEqual(["../../src/a.ts", "../../src/b.ts"]);
    expect(trimmed.names).toEqual(["x", "y"]);
    expect(decodeMappings(trimmed)).toEqual([
      { line: 0, column: 0, source: "../../src/a.ts", originalLine: 0, originalColumn: 0, name: "x" },
      // One unmapped segment ends a.ts's mapping where the dependency's code starts; the run is not repeated.
      { line: 0, column: 10 },
      { line: 0, column: 30, source: "../../src/a.ts", originalLine: 1, originalColumn: 4 },
      { line: 1, column: 8, source: "../../src/b.ts", originalLine: 2, originalColumn: 0, name: "y" },
    ]);
  });

  it("keeps everything when every source is kept", () => {
    // Prepare / Act
    const trimmed = trimSourceMap(MAP, () => true);
    // Assess
    expect(decodeMappings(trimmed)).toEqual(decodeMappings(MAP));
    expect(trimmed.sources).toEqual(MAP.sources);
  });
});
