import { execFile } from "node:child_process";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

/**
 * Configuration the handler may read when its module loads, so that importing it measures the import and not a
 * configuration error. Nothing is contacted: importing sends no request.
 */
const PLACEHOLDER_ENV = {
  AWS_REGION: "us-east-1",
  CONNECTION_BUCKET: "cold-import-placeholder",
  CONNECTION_PREFIX: "active-connections",
  MANAGEMENT_ENDPOINT: "https://placeholder.execute-api.us-east-1.amazonaws.com/primary",
  POWERTOOLS_LOG_LEVEL: "WARN",
};

/**
 * Imports a bundle in a fresh Node process and returns how long the `import()` took, in milliseconds: the part of
 * a Lambda cold start that the bundle decides. It also proves the bundle loads and exports a `handler` function.
 * @param entryFile - absolute path of the bundled module
 */
export async function measureColdImport(entryFile: string): Promise<number> {
  const script = [
    "const start = performance.now();",
    `const mod = await import(${JSON.stringify(pathToFileURL(entryFile).href)});`,
    "const ms = performance.now() - start;",
    'if (typeof mod.handler !== "function") throw new Error("the bundle exports no handler function");',
    "process.stdout.write(String(ms));",
  ].join("\n");
  const { stdout } = await run(process.execPath, ["--input-type=module", "--eval", script], {
    env: { ...process.env, ...PLACEHOLDER_ENV },
  });
  return Number(stdout);
}
