/**
 * The benchmark figures in README.md and docs/benchmark.md, generated from `bench/results.json` between marker
 * comments, so that the prose never carries a number the committed results do not. `npm run docs:bench` writes
 * them; `test/bench/report/docs.test.ts` fails when a file differs from what this module renders.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { replaceSection as replaceMarkedSection } from "../../lib/repo.js";
import { SCENARIO_LABELS, SCENARIOS, type ScenarioResult } from "../model.js";
import { type BenchResults, renderHeadline, renderProvenance, renderSummary } from "./summary.js";

/** A generated section: the file it lives in (relative to the repository root) and how to render it. */
interface GeneratedSection {
  file: string;
  /** The name in `<!-- bench:NAME -->` … `<!-- /bench:NAME -->`. */
  marker: string;
  render: (results: BenchResults) => string;
}

/** Where the committed results live, relative to the repository root. */
const RESULTS_FILE = "bench/results.json";

/** The README's short table: one row per scenario at N = 10,000 and one network model, with the ratio. */
export function renderReadmeTable(results: BenchResults): string {
  const delay = results.options.delayMs;
  const at = (n: number, delayMs: number) =>
    results.scenarios.filter((r) => r.n === n && r.delayMs === delayMs);
  const cell = (r: ScenarioResult | undefined, http: number | undefined) => {
    if (!r) return "-";
    if (r.summary) {
      const t = Math.round(r.summary.publishToLastMs).toLocaleString("en-US");
      return http ? `${t} ms (${(r.summary.publishToLastMs / http).toFixed(2)}x)` : `${t} ms`;
    }
    return r.lowerBoundMs === undefined
      ? "not run"
      : `>= ${Math.round(r.lowerBoundMs).toLocaleString("en-US")} ms`;
  };
  const columns = [
    { title: "N = 1,000, loopback", rows: at(1_000, 0) },
    ...(delay > 0 ? [{ title: `N = 1,000, ${delay} ms per call`, rows: at(1_000, delay) }] : []),
    { title: "N = 10,000, loopback", rows: at(10_000, 0) },
  ].filter((c) => c.rows.length > 0);
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  const lines = [
    line(["publish to last receipt (x bare HTTP)", ...columns.map((c) => c.title)]),
    line(["---", ...columns.map(() => "---:")]),
  ];
  for (const scenario of SCENARIOS) {
    if (scenario === "ceiling") continue;
    const cells = columns.map((c) => {
      const http = c.rows.find((r) => r.scenario === "http-ceiling")?.summary?.publishToLastMs;
      return cell(
        c.rows.find((r) => r.scenario === scenario),
        http,
      );
    });
    if (cells.every((c) => c === "-")) continue;
    lines.push(line([SCENARIO_LABELS[scenario], ...cells]));
  }
  return lines.join("\n");
}

/** Every generated section, in the files they live in. */
const SECTIONS: readonly GeneratedSection[] = [
  {
    file: "README.md",
    marker: "table",
    render: (r) => [renderReadmeTable(r), "", renderProvenance(r)].join("\n"),
  },
  {
    file: "docs/benchmark.md",
    marker: "results",
    render: (r) =>
      [
        renderProvenance(r).replace("(bench/results.json)", "(../bench/results.json)"),
        "",
        renderHeadline(r),
        "",
        renderSummary(r),
      ].join("\n"),
  },
];

/**
 * Replaces what lies between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->` with `content`.
 * @throws Error when the markers are missing, so a deleted marker is noticed instead of silently skipped
 */
export function replaceSection(text: string, marker: string, content: string): string {
  return replaceMarkedSection(text, `bench:${marker}`, content);
}

/** Reads the committed results. */
export function readResults(repoRoot: string): BenchResults {
  return JSON.parse(readFileSync(join(repoRoot, RESULTS_FILE), "utf8")) as BenchResults;
}

/**
 * What each file with a generated section should hold, given the results.
 * @returns file (relative) → its full expected text
 */
export function renderDocs(repoRoot: string, results: BenchResults): Map<string, string> {
  const files = new Map<string, string>();
  for (const section of SECTIONS) {
    const current = files.get(section.file) ?? readFileSync(join(repoRoot, section.file), "utf8");
    files.set(section.file, replaceSection(current, section.marker, section.render(results)));
  }
  return files;
}
