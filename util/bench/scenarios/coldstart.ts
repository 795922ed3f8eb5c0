/**
 * Cold start figures of the deployed bundle: its size, its zip's size, how long a fresh `node` takes to start and
 * import it against a bare `node -e 0`, how long a fresh `node` takes to import it and answer its first event of
 * each kind (the bundle loads per event what the event needs, so the import alone is not the whole cold start),
 * and what each dependency costs in the bundle (from esbuild's metafile).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { measureColdImport } from "../../build/cold-import.js";
import { buildLambdaBundle } from "../../build/lambda-bundle.js";
import { npmPackageOf } from "../cpu-profile.js";
import { median } from "../stats.js";
import { measureFirstInvocations, runNode } from "./first-invocation.js";

/** Bytes a package contributes to the bundle. */
export interface DependencyCost {
  name: string;
  bytes: number;
  share: number;
}

/** A fresh `node` that imports the bundle and answers one event: the cold start of that route, up to its reply. */
interface FirstInvocation {
  /** The route, e.g. `$connect authorizer`. */
  route: string;
  /** Wall time of the whole process (start, import, the first invocation, exit), median, ms. */
  nodeWithInvocationMs: number;
  /** nodeWithInvocationMs / bareNodeMs. */
  relativeToBareNode: number;
}

/** The cold start figures in results.json. */
export interface ColdStart {
  /** All the JavaScript of the bundle (the entry and every chunk). */
  bundleBytes: number;
  /** The entry, `index.mjs`, alone: what the import measures. */
  entryBytes: number;
  /** JavaScript files in the zip (the entry and its chunks). */
  files: number;
  zipBytes: number;
  /** `import()` of the bundle in a fresh process, median, ms. */
  importMs: number;
  /** Wall time of `node -e 0`, median, ms. */
  bareNodeMs: number;
  /** Wall time of a fresh `node` that imports the bundle, median, ms. */
  nodeWithImportMs: number;
  /** nodeWithImportMs / bareNodeMs. */
  relativeToBareNode: number;
  /**
   * Per route, the cold start up to the first reply: the honest figure for a bundle that loads code per route,
   * which the import alone does not show. The AWS calls go to a stand-in on 127.0.0.1 that answers at once.
   * Absent from results measured before the bundle was split.
   */
  firstInvocation?: FirstInvocation[];
  dependencies: DependencyCost[];
}

/**
 * The summary's line on the first invocations: per route, a fresh node that imports the bundle and answers one
 * event, in ms and against a bare `node -e 0`.
 * @param coldStart - the measured cold start
 */
export function describeFirstInvocations(
  coldStart: Pick<ColdStart, "firstInvocation" | "entryBytes" | "files">,
): string {
  const routes = (coldStart.firstInvocation ?? [])
    .map((f) => `${f.route} ${f.nodeWithInvocationMs.toFixed(0)} ms (${f.relativeToBareNode.toFixed(2)}x)`)
    .join(", ");
  return (
    `cold start up to the first reply (the bundle loads per event what the event needs, so the import alone is ` +
    `not the whole cold start): ${routes}; a fresh node each, AWS stood in for on 127.0.0.1; the entry is ` +
    `${(coldStart.entryBytes / 1024).toFixed(1)} KiB of ${coldStart.files} files`
  );
}

/** The slice of esbuild's metafile the costs are computed from. */
export interface MetafileLike {
  outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>;
}

/** The package an esbuild input path belongs to: the last `node_modules/<name>` (scoped too), else "src". */
export function packageOf(inputPath: string): string {
  const npm = npmPackageOf(inputPath);
  if (npm !== undefined) return npm;
  const [first = inputPath] = inputPath.split("/");
  return first === "src" ? "src (ours)" : first;
}

/** Bytes per package in the bundle's JavaScript output, largest first. */
export function dependencyCosts(metafile: MetafileLike): DependencyCost[] {
  const totals = new Map<string, number>();
  for (const [file, output] of Object.entries(metafile.outputs)) {
    if (file.endsWith(".map")) continue;
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = packageOf(input);
      totals.set(name, (totals.get(name) ?? 0) + bytesInOutput);
    }
  }
  const all = [...totals.values()].reduce((a, b) => a + b, 0);
  return [...totals]
    .map(([name, bytes]) => ({ name, bytes, share: all > 0 ? bytes / all : 0 }))
    .sort((a, b) => b.bytes - a.bytes);
}

/** Builds the bundle into a temporary directory and measures it (`repeats` fresh processes per figure). */
export async function measureColdStart(repeats: number): Promise<ColdStart> {
  const outDir = mkdtempSync(join(tmpdir(), "fanout-bench-bundle-"));
  try {
    const bundle = await buildLambdaBundle({ outDir, quiet: true });
    const env = {
      ...process.env,
      AWS_REGION: "us-east-1",
      CONNECTION_BUCKET: "bench",
      POWERTOOLS_LOG_LEVEL: "WARN",
    };
    const importArgs = [
      "--input-type=module",
      "-e",
      `await import(${JSON.stringify(pathToFileURL(bundle.entryFile).href)})`,
    ];
    const bare: number[] = [];
    const withImport: number[] = [];
    const imports: number[] = [];
    for (let i = 0; i < repeats; i++) {
      bare.push((await runNode(["-e", "0"], env)).ms);
      withImport.push((await runNode(importArgs, env)).ms);
      imports.push(await measureColdImport(bundle.entryFile));
    }
    const bareNodeMs = median(bare);
    const nodeWithImportMs = median(withImport);
    const firstInvocation = (await measureFirstInvocations(bundle.entryFile, repeats)).map(
      ({ route, ms }) => ({
        route,
        nodeWithInvocationMs: ms,
        relativeToBareNode: ms / bareNodeMs,
      }),
    );
    // Only the files the zip holds: esbuild's metafile also lists a chunk no file imports.
    const zipped = new Set(bundle.files.map((file) => `dist/lambda/${file.name}`));
    const outputs = Object.fromEntries(
      Object.entries(bundle.metafile.outputs).filter(([path]) => zipped.has(path)),
    );
    return {
      bundleBytes: bundle.bundleBytes,
      entryBytes: bundle.entryBytes,
      files: bundle.files.length,
      zipBytes: bundle.zipBytes,
      importMs: median(imports),
      bareNodeMs,
      nodeWithImportMs,
      relativeToBareNode: nodeWithImportMs / bareNodeMs,
      firstInvocation,
      dependencies: dependencyCosts({ outputs }),
    };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}
