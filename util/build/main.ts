import { relative } from "node:path";
import { LAMBDA_HANDLER, LAMBDA_RUNTIME } from "../../src/contract/index.js";
import { parseCliArgs, runCli } from "../lib/cli.js";
import { measureColdImport } from "./cold-import.js";
import { buildLambdaBundle } from "./lambda-bundle.js";

const HELP = `Usage: util/lambda-build [--out-dir DIR]

Bundles src/index.ts for AWS Lambda (${LAMBDA_RUNTIME}, handler ${LAMBDA_HANDLER}) with esbuild, minified with
source maps, into DIR/lambda/index.mjs and the chunks it loads per event, and a reproducible DIR/lambda.zip (the same
sources give the same bytes),
then reports the sizes, the zip's source_code_hash and the cold import time of the bundle.

Options:
  --out-dir DIR  where to write (default: dist/ in the repository)
  -h, --help     show this help`;

/** Formats a byte count as KiB with one decimal. */
function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

await runCli("lambda-build", async () => {
  const { values } = parseCliArgs({
    options: { "out-dir": { type: "string" }, help: { type: "boolean", short: "h" } },
    allowPositionals: false,
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }

  // esbuild prints its located errors itself; runCli adds the one line that says what failed.
  const bundle = await buildLambdaBundle({ outDir: values["out-dir"] });
  const coldImportMs = await measureColdImport(bundle.entryFile);
  const show = (path: string) => relative(process.cwd(), path) || ".";
  process.stdout.write(
    [
      `bundle            ${show(bundle.entryFile)}  ${kib(bundle.bundleBytes)} in ${bundle.files.length} files (entry ${kib(bundle.entryBytes)})`,
      `zip               ${show(bundle.zipFile)}  ${kib(bundle.zipBytes)}`,
      `source_code_hash  ${bundle.sourceCodeHash}`,
      `cold import       ${coldImportMs.toFixed(0)} ms (import() of the entry in a fresh node ${process.version} process; each route loads its chunks on its first event, measured by npm run bench)`,
      "",
    ].join("\n"),
  );
});
