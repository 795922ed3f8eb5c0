import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildLambdaBundle, type LambdaBundle } from "../../build/lambda-bundle.js";
import { buildNodeScript } from "../../build/node-script.js";
import { buildAtomically } from "../state/state-dir.js";

/** The function bundle and the execution environment script, built where the runtime loads them from. */
export interface Built {
  bundle: LambdaBundle;
  /** `LAMBDA_TASK_ROOT`: the folder of the bundle's `index.mjs`. */
  taskRoot: string;
  /** The execution environment script (worker.ts as plain JavaScript). */
  workerFile: string;
}

/**
 * Builds the deployed bundle and the execution environment script into `<buildDir>`, whole or not at all: a crash
 * mid-build leaves the previous build in place.
 * @param buildDir - the build folder of the state folder
 * @param quiet - no progress lines from the bundle build
 */
export async function buildArtifacts(buildDir: string, quiet: boolean): Promise<Built> {
  const bundle = await buildAtomically(buildDir, async (dir) => {
    const [bundle] = await Promise.all([
      buildLambdaBundle({ outDir: dir, quiet }),
      buildWorker(join(dir, "runtime", "worker.mjs")),
    ]);
    return bundle;
  });
  return {
    bundle,
    taskRoot: join(buildDir, "lambda"),
    workerFile: join(buildDir, "runtime", "worker.mjs"),
  };
}

/** Compiles the execution environment script to plain JavaScript, so the function runs under bare `node`. */
function buildWorker(outfile: string): Promise<string> {
  return buildNodeScript(join(dirname(fileURLToPath(import.meta.url)), "worker.ts"), outfile);
}
