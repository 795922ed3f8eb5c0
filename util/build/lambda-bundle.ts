import { createHash } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { build, type Metafile } from "esbuild";
import { type ZipOptions, zipSync } from "fflate";
import { LAMBDA_NODE_TARGET } from "../../src/contracts.js";
import { repoRoot } from "../lib/repo.js";
import { LAMBDA_BUNDLE_PLUGINS } from "./bundle-plugins.js";
import { type SourceMapV3, trimSourceMap } from "./trim-source-map.js";

/** What {@link buildLambdaBundle} produced. */
export interface LambdaBundle {
  /** Absolute path of the bundled handler, `<outDir>/lambda/index.mjs` (its source map sits beside it). */
  entryFile: string;
  /** Absolute path of the deployment package, `<outDir>/lambda.zip` (`index.mjs` and `index.mjs.map`). */
  zipFile: string;
  /** Size of `index.mjs` in bytes. */
  bundleBytes: number;
  /** Size of the zip in bytes. */
  zipBytes: number;
  /** Base64 SHA-256 of the zip: what Terraform's `filebase64sha256()` gives and `source_code_hash` expects. */
  sourceCodeHash: string;
  /** esbuild's metafile of this build: what each input contributes (`outputs[...].inputs[*].bytesInOutput`). */
  metafile: Metafile;
}

/** Options of {@link buildLambdaBundle}. */
export interface LambdaBundleOptions {
  /** Where to write `lambda/` and `lambda.zip`; default `<repo>/dist`. Relative paths resolve from the cwd. */
  outDir?: string;
  /** The handler's source; default `<repo>/src/handler.ts`. */
  entryPoint?: string;
  /** Print nothing (esbuild's warnings and errors included). */
  quiet?: boolean;
}

/**
 * Zip entries get this fixed timestamp so that the zip depends on the sources only. fflate writes DOS times from
 * the local-time getters, so a date built from local components reads back as 1980-01-01 00:00 in every time zone
 * (1980 is the earliest DOS date).
 */
const FIXED_MTIME = new Date(1980, 0, 1, 0, 0, 0);

/** Unix regular file, mode 0644, in the high 16 bits of the external attributes (with `os: 3`, Unix). */
const ZIP_FILE_ATTRIBUTES: ZipOptions = { os: 3, attrs: 0o100644 << 16, mtime: FIXED_MTIME, level: 9 };

/**
 * Keeps the source map's mappings of our own files only (see `trim-source-map.ts`): the zip then carries a map
 * for the frames worth reading, at a fraction of the size.
 */
function trimMapToOurSources(map: Uint8Array): Uint8Array {
  const parsed = JSON.parse(Buffer.from(map).toString("utf8")) as SourceMapV3;
  const trimmed = trimSourceMap(parsed, (source) => !source.includes("node_modules/"));
  return Buffer.from(JSON.stringify(trimmed), "utf8");
}

/**
 * Bundles `src/handler.ts` for Lambda (`nodejs24.x`) into `<outDir>/lambda/index.mjs` (minified, with a source
 * map) and zips it into `<outDir>/lambda.zip`, byte-identical for the same sources, so `source_code_hash` changes
 * only when the code does.
 *
 * fflate (pure JavaScript) compresses rather than node:zlib, whose output may differ between Node releases: the
 * hash then does not depend on the Node version of whoever builds.
 * @param options - see {@link LambdaBundleOptions}
 */
export async function buildLambdaBundle(options: LambdaBundleOptions = {}): Promise<LambdaBundle> {
  const outDir = resolve(options.outDir ?? join(repoRoot, "dist"));
  const lambdaDir = join(outDir, "lambda");
  const entryFile = join(lambdaDir, "index.mjs");
  const zipFile = join(outDir, "lambda.zip");

  const result = await build({
    entryPoints: [options.entryPoint ?? join(repoRoot, "src/handler.ts")],
    // The bundle is laid out as if written to <repo>/dist/lambda whatever outDir is, so the source map's relative
    // paths (and so the zip) do not depend on where it is written.
    outfile: join(repoRoot, "dist/lambda/index.mjs"),
    write: false,
    absWorkingDir: repoRoot,
    bundle: true,
    platform: "node",
    target: LAMBDA_NODE_TARGET,
    format: "esm",
    // esbuild's default for platform node is main-first: the SDK's CommonJS builds, whose `require("node:https")`
    // becomes a `__require` shim that throws "Dynamic require of node:https is not supported" in an ES module.
    // Module-first picks their ESM builds: no shim, and a smaller bundle (measured: 452 KiB against 653 KiB).
    mainFields: ["module", "main"],
    minify: true,
    sourcemap: true,
    // Paths are enough to read a stack trace against the repository; the sources would double the zip.
    sourcesContent: false,
    legalComments: "none",
    metafile: true,
    // What Lambda never runs, removed (bundle-plugins.ts).
    plugins: [...LAMBDA_BUNDLE_PLUGINS],
    logLevel: options.quiet ? "silent" : "warning",
  });

  const files = new Map<string, Uint8Array>();
  for (const file of result.outputFiles)
    files.set(file.path.slice(file.path.lastIndexOf("/") + 1), file.contents);
  const map = files.get("index.mjs.map");
  if (map !== undefined) files.set("index.mjs.map", trimMapToOurSources(map));
  const bundle = files.get("index.mjs");
  if (bundle === undefined)
    throw new Error(`esbuild wrote no index.mjs (it wrote: ${[...files.keys()].join(", ")})`);

  const zip = zipSync(
    Object.fromEntries(
      [...files.keys()].sort().map((name) => [name, [files.get(name) as Uint8Array, ZIP_FILE_ATTRIBUTES]]),
    ),
  );

  await rm(lambdaDir, { recursive: true, force: true });
  await mkdir(lambdaDir, { recursive: true });
  await Promise.all([...files].map(([name, contents]) => writeFile(join(lambdaDir, name), contents)));
  await writeFile(zipFile, zip);

  return {
    entryFile,
    zipFile,
    bundleBytes: bundle.byteLength,
    zipBytes: zip.byteLength,
    sourceCodeHash: createHash("sha256").update(zip).digest("base64"),
    metafile: result.metafile,
  };
}
