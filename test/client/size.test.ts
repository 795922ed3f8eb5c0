import { gzipSync } from "node:zlib";
import { type BuildOptions, build } from "esbuild";
import { describe, expect, it } from "vitest";

/** The size budget of the client library: what a browser downloads, minified and gzipped. */
const BUDGET_BYTES = 5_000;

describe("the client library's size", () => {
  it(`bundles, minified and gzipped, to at most ${BUDGET_BYTES} bytes`, async () => {
    // Prepare
    const options: BuildOptions & { write: false } = {
      entryPoints: ["client/index.ts"],
      bundle: true,
      minify: true,
      format: "esm",
      write: false,
      // Neutral: a Node built-in anywhere in the library fails the build.
      platform: "neutral",
    };

    // Act
    const result = await build(options);
    const code = result.outputFiles?.[0]?.contents ?? new Uint8Array();
    const gzipped = gzipSync(code).length;

    // Assess
    expect(result.errors).toEqual([]);
    expect(code.length).toBeGreaterThan(1_000);
    expect(gzipped).toBeLessThanOrEqual(BUDGET_BYTES);
  });
});
