import { existsSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { type BuildOptions, build } from "esbuild";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../util/lib/repo.js";

/** The size budget of the client library: what a browser downloads, minified and gzipped. */
const BUDGET_BYTES = 5_000;

describe("the client library's size", () => {
  it(`bundles, from the built package, minified and gzipped, to at most ${BUDGET_BYTES} bytes`, async () => {
    // Prepare: what an app's bundler sees when it imports the package by its name
    if (!existsSync(join(repoRoot, "client", "dist", "index.js"))) {
      throw new Error(
        "client/dist is missing: npm run build -w @fanout/client (npm ci and npm test build it)",
      );
    }
    const options: BuildOptions & { write: false } = {
      stdin: { contents: 'export * from "@fanout/client";', resolveDir: repoRoot },
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
