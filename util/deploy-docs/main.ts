/**
 * `npm run docs:deploy`: synthesizes nothing itself; reads the stack `npm run synth` wrote and rewrites the generated
 * sections of docs/deploy.md and docs/deployer-policy.json (the script runs the synth first).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { STACK_PATH } from "../../src/contract/index.js";
import { CliError, runCli } from "../lib/cli.js";
import { repoRoot } from "../lib/repo.js";
import { renderDeployDocs, type TerraformJson } from "./render.js";

await runCli(
  "docs:deploy",
  async () => {
    const stackFile = join(repoRoot, STACK_PATH, "cdk.tf.json");
    let tf: TerraformJson;
    try {
      tf = JSON.parse(readFileSync(stackFile, "utf8")) as TerraformJson;
    } catch (error) {
      throw new CliError(
        `cannot read ${STACK_PATH}/cdk.tf.json (${(error as Error).message}): run npm run synth first`,
      );
    }
    const files = renderDeployDocs((file) => readFileSync(join(repoRoot, file), "utf8"), tf);
    for (const [file, text] of files) {
      const path = join(repoRoot, file);
      const current = (() => {
        try {
          return readFileSync(path, "utf8");
        } catch {
          return undefined;
        }
      })();
      if (current === text) continue;
      writeFileSync(path, text);
      process.stdout.write(`updated ${file}\n`);
    }
  },
  "npm run docs:deploy",
);
