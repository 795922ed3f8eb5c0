import { build } from "esbuild";
import { LAMBDA_NODE_TARGET } from "../../src/contract/index.js";

/**
 * Bundles one TypeScript module and what it imports into one plain ES module for Node (the Lambda's target), so that
 * a child process or a measurement runs it under bare `node`, with nothing of tsx.
 * @param entry - the module's path
 * @param outfile - where the bundle goes
 */
export async function buildNodeScript(entry: string, outfile: string): Promise<string> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: LAMBDA_NODE_TARGET,
    logLevel: "silent",
  });
  return outfile;
}
