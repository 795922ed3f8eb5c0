import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  readResults,
  renderDocs,
  renderReadmeTable,
  replaceSection,
} from "../../../util/bench/report/docs.js";
import { repoRoot } from "../../../util/lib/repo.js";

describe("the benchmark figures in the docs", () => {
  it("are exactly what bench/results.json renders (run `npm run docs:bench` after a new benchmark)", () => {
    // Prepare
    const results = readResults(repoRoot);

    // Act
    const expected = renderDocs(repoRoot, results);

    // Assess: one comparison per file, so the failure shows the diff
    expect([...expected.keys()].sort()).toEqual(["README.md", "docs/benchmark.md"]);
    for (const [file, text] of expected) expect(readFileSync(join(repoRoot, file), "utf8"), file).toBe(text);
  });

  it("puts the committed times in the README's table, with the ratio to bare HTTP", () => {
    // Prepare
    const results = readResults(repoRoot);
    const http = results.scenarios.find(
      (r) => r.scenario === "http-ceiling" && r.n === 10_000 && r.delayMs === 0,
    );
    const ours = results.scenarios.find(
      (r) => r.scenario === "ours-sns" && r.n === 10_000 && r.delayMs === 0,
    );

    // Act
    const table = renderReadmeTable(results);

    // Assess
    const row = table.split("\n").find((l) => l.startsWith("| ours via SNS publish |"));
    const oursMs = ours?.summary?.publishToLastMs ?? Number.NaN;
    const httpMs = http?.summary?.publishToLastMs ?? Number.NaN;
    expect(row).toContain(
      `${Math.round(oursMs).toLocaleString("en-US")} ms (${(oursMs / httpMs).toFixed(2)}x) |`,
    );
    expect(table).not.toContain("seed");
  });

  it("replaces only what lies between the markers, and refuses a file without them", () => {
    // Prepare
    const text = "before\n<!-- bench:table -->\nold\n<!-- /bench:table -->\nafter\n";

    // Act
    const replaced = replaceSection(text, "table", "new");

    // Assess
    expect(replaced).toBe("before\n<!-- bench:table -->\nnew\n<!-- /bench:table -->\nafter\n");
    expect(() => replaceSection("no markers", "table", "new")).toThrow(/no <!-- bench:table -->/);
  });
});
