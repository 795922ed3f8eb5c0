import { createHash } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { build, type Metafile } from "esbuild";
import { type ZipOptions, zipSync } from "fflate";
import { LAMBDA_NODE_TARGET } from "../../src/contract/index.js";
import { repoRoot } from "../lib/repo.js";
import { LAMBDA_BUNDLE_PLUGINS } from "./bundle-plugins.js";
import { type SourceMapV3, trimSourceMap } from "./trim-source-map.js";

/** What {@link buildLambdaBundle} produced. */
export interface LambdaBundle {
  /** Absolute path of the bundled handler, `<outDir>/lambda/index.mjs` (its chunks and source maps sit beside it). */
  entryFile: string;
  /**
   * Absolute path of the deployment package, `<outDir>/lambda.zip`: `index.mjs`, the chunks it imports
   * (`chunk-<hash>.mjs`) and their source maps, all at the top level.
   */
  zipFile: string;
  /** Size of all the JavaScript (`index.mjs` and every chunk) in bytes. */
  bundleBytes: number;
  /** Size of `index.mjs` alone in bytes: what a cold start loads before the first event picks its chunks. */
  entryBytes: number;
  /** The JavaScript files of the bundle (`index.mjs` first, then the chunks by name), with their sizes. */
  files: { name: string; bytes: number }[];
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
  /** The handler's source; default `<repo>/src/index.ts`. */
  entryPoint?: string;
  /** Print nothing (esbuild's warnings and errors included). */
  quiet?: boolean;
  /**
   * Keep the source maps of every source, the SDK's included, instead of ours only: what the profiler reads to name
   * the package of each sampled frame (`util/bench/cpu-profile.ts`). The JavaScript is the same.
   */
  fullSourceMaps?: boolean;
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
 * The names of the output files the entry can load, through static and dynamic imports. esbuild also writes a chunk
 * for a dynamic `import()` that tree shaking removed (the SDK's browser user-agent parser, bowser, 33 KiB): no
 * file imports it, so it is left out of the zip.
 * @param metafile - esbuild's metafile
 * @param entry - the entry's output path, as the metafile names it
 */
export function reachableOutputs(
  metafile: { outputs: Record<string, { imports: readonly { path: string; external?: boolean }[] }> },
  entry: string,
): Set<string> {
  const seen = new Set<string>();
  const pending = [entry];
  for (let path = pending.pop(); path !== undefined; path = pending.pop()) {
    if (seen.has(path)) continue;
    seen.add(path);
    for (const imported of metafile.outputs[path]?.imports ?? []) {
      if (!imported.external) pending.push(imported.path);
    }
  }
  return new Set([...seen].map((path) => path.slice(path.lastIndexOf("/") + 1)));
}

/**
 * Bundles `src/index.ts` for Lambda (`nodejs24.x`) into `<outDir>/lambda/index.mjs` and the chunks it imports
 * (minified, with source maps) and zips them into `<outDir>/lambda.zip`, byte-identical for the same sources, so
 * `source_code_hash` changes only when the code does.
 *
 * Code splitting: each dynamic `import()` of the sources (the authorizer's module, the full handler, the SQS and
 * Secrets Manager clients, jose) becomes a chunk that loads when an event first needs it, and code shared by
 * several becomes a chunk of its own, so a cold start loads and compiles what its first event runs (measured by
 * `npm run bench`, "first invocation" per route). Chunk names carry a hash of their content, so they are as
 * reproducible as the rest.
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
    entryPoints: { index: options.entryPoint ?? join(repoRoot, "src/index.ts") },
    // The bundle is laid out as if written to <repo>/dist/lambda whatever outDir is, so the source maps' relative
    // paths (and so the zip) do not depend on where it is written.
    outdir: join(repoRoot, "dist/lambda"),
    splitting: true,
    entryNames: "[name]",
    chunkNames: "chunk-[hash]",
    outExtension: { ".js": ".mjs" },
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

  const reachable = reachableOutputs(result.metafile, "dist/lambda/index.mjs");
  const files = new Map<string, Uint8Array>();
  for (const file of result.outputFiles) {
    const name = file.path.slice(file.path.lastIndexOf("/") + 1);
    if (reachable.has(name.replace(/\.map$/, ""))) files.set(name, file.contents);
  }
  for (const [name, contents] of files) {
    if (name.endsWith(".map") && options.fullSourceMaps !== true)
      files.set(name, trimMapToOurSources(contents));
  }
  const bundle = files.get("index.mjs");
  if (bundle === undefined)
    throw new Error(`esbuild wrote no index.mjs (it wrote: ${[...files.keys()].join(", ")})`);
  const javascript = [...files.keys()]
    .filter((name) => name.endsWith(".mjs"))
    .sort((a, b) => (a === "index.mjs" ? -1 : b === "index.mjs" ? 1 : a.localeCompare(b)))
    .map((name) => ({ name, bytes: (files.get(name) as Uint8Array).byteLength }));

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
    bundleBytes: javascript.reduce((sum, file) => sum + file.bytes, 0),
    entryBytes: bundle.byteLength,
    files: javascript,
    zipBytes: zip.byteLength,
    sourceCodeHash: createHash("sha256").update(zip).digest("base64"),
    metafile: result.metafile,
  };
}
