import { relative } from "node:path";
import { parseArgs } from "node:util";
import { measureColdImport } from "./cold-import.js";
import { buildLambdaBundle, LAMBDA_HANDLER, LAMBDA_RUNTIME } from "./lambda-bundle.js";

const HELP = `Usage: util/lambda-build [--out-dir DIR]

Bundles src/handler.ts for AWS Lambda (${LAMBDA_RUNTIME}, handler ${LAMBDA_HANDLER}) with esbuild, minified with a
source map, into DIR/lambda/index.mjs and a reproducible DIR/lambda.zip (the same sources give the same bytes),
then reports the sizes, the zip's source_code_hash and the cold import time of the bundle.

Options:
  --out-dir DIR  where to write (default: dist/ in the repository)
  -h, --help     show this help`;

/** Formats a byte count as KiB with one decimal. */
function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

async function main(): Promise<number> {
  let values: { "out-dir"?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: { "out-dir": { type: "string" }, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\nRun util/lambda-build --help for usage.\n`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }

  try {
    const bundle = await buildLambdaBundle({ outDir: values["out-dir"] });
    const coldImportMs = await measureColdImport(bundle.entryFile);
    const show = (path: string) => relative(process.cwd(), path) || ".";
    process.stdout.write(
      [
        `bundle            ${show(bundle.entryFile)}  ${kib(bundle.bundleBytes)}`,
        `zip               ${show(bundle.zipFile)}  ${kib(bundle.zipBytes)}`,
        `source_code_hash  ${bundle.sourceCodeHash}`,
        `cold import       ${coldImportMs.toFixed(0)} ms (import() in a fresh node ${process.version} process)`,
        "",
      ].join("\n"),
    );
    return 0;
  } catch (error) {
    // esbuild has already printed its located errors; one line says what failed.
    process.stderr.write(`lambda-build failed: ${(error as Error).message.split("\n")[0]}\n`);
    return 1;
  }
}

process.exitCode = await main();
