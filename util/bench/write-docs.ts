/**
 * `npm run docs:bench`: rewrites the benchmark sections of README.md and docs/benchmark.md from
 * `bench/results.json` (run it after `npm run bench` has written new results).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCli } from "../lib/cli.js";
import { repoRoot } from "../lib/repo.js";
import { readResults, renderDocs } from "./report/docs.js";

await runCli(
  "docs:bench",
  async () => {
    for (const [file, text] of renderDocs(repoRoot, readResults(repoRoot))) {
      const path = join(repoRoot, file);
      if (readFileSync(path, "utf8") === text) continue;
      writeFileSync(path, text);
      process.stdout.write(`updated ${file}\n`);
    }
  },
  "npm run docs:bench",
);
