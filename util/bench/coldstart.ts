/**
 * Cold start figures of the deployed bundle: its size, its zip's size, how long a fresh `node` takes to start and
 * import it against a bare `node -e 0`, and what each dependency costs in the bundle (from esbuild's metafile).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { measureColdImport } from "../build/cold-import.js";
import { buildLambdaBundle } from "../build/lambda-bundle.js";
import { npmPackageOf } from "./cpu-profile.js";
import { median } from "./stats.js";

/** Bytes a package contributes to the bundle. */
export interface DependencyCost {
  name: string;
  bytes: number;
  share: number;
}

/** The cold start figures in results.json. */
export interface ColdStart {
  bundleBytes: number;
  zipBytes: number;
  /** `import()` of the bundle in a fresh process, median, ms. */
  importMs: number;
  /** Wall time of `node -e 0`, median, ms. */
  bareNodeMs: number;
  /** Wall time of a fresh `node` that imports the bundle, median, ms. */
  nodeWithImportMs: number;
  /** nodeWithImportMs / bareNodeMs. */
  relativeToBareNode: number;
  dependencies: DependencyCost[];
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

function wallMs(args: string[], env: NodeJS.ProcessEnv): number {
  const start = performance.now();
  const result = spawnSync(process.execPath, args, { env, stdio: "ignore" });
  if (result.status !== 0) throw new Error(`node ${args.join(" ")} exited with ${result.status}`);
  return performance.now() - start;
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
      bare.push(wallMs(["-e", "0"], env));
      withImport.push(wallMs(importArgs, env));
      imports.push(await measureColdImport(bundle.entryFile));
    }
    const bareNodeMs = median(bare);
    const nodeWithImportMs = median(withImport);
    return {
      bundleBytes: bundle.bundleBytes,
      zipBytes: bundle.zipBytes,
      importMs: median(imports),
      bareNodeMs,
      nodeWithImportMs,
      relativeToBareNode: nodeWithImportMs / bareNodeMs,
      dependencies: dependencyCosts(bundle.metafile),
    };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}
