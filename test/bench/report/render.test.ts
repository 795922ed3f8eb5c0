import { describe, expect, it } from "vitest";
import { type ScenarioResult, summarize } from "../../../util/bench/model.js";
import { escapeXml, renderChart } from "../../../util/bench/report/chart.js";
import { renderTable } from "../../../util/bench/report/table.js";
import { runOf } from "../support/runs.js";

function result(
  scenario: ScenarioResult["scenario"],
  delayMs: number,
  ms: number,
  exactlyOnce = true,
): ScenarioResult {
  const runs = [runOf(ms, { duplicated: exactlyOnce ? 0 : 1, cpuMs: 12, rssBytes: 64 * 2 ** 20 })];
  return { scenario, n: 100, delayMs, runs, summary: summarize(runs) };
}

const RESULTS: ScenarioResult[] = [
  result("ceiling", 0, 5),
  result("http-ceiling", 0, 50),
  result("ours-sns", 0, 100, false),
  result("http-ceiling", 10, 80),
  {
    scenario: "seed",
    n: 100,
    delayMs: 10,
    runs: [],
    summary: null,
    skipped: "too slow",
    lowerBoundMs: 1_000,
  },
];

describe("renderTable", () => {
  it("shows one row per scenario with the ratio to both ceilings and the exactly-once verdict", () => {
    // Prepare
    const results = RESULTS;
    // Act
    const lines = renderTable(results).split("\n");
    // Assess
    expect(lines).toHaveLength(2 + results.length);
    const ours = lines.find((l) => l.includes("ours via SNS"));
    expect(ours).toContain("| 100 | 2.00 | 20.00 |");
    expect(ours).toMatch(/\| NO \|$/);
    const seed = lines.find((l) => l.includes("sequential"));
    expect(seed).toContain("(not run: too slow) | >= 1,000 | >= 12.50 |");
  });
});

describe("renderChart", () => {
  it("draws one panel per network model and one bar per scenario, dashed for a bound", () => {
    // Prepare
    const results = RESULTS;
    // Act
    const svg = renderChart(results, "title <&>");
    // Assess
    expect(svg.startsWith("<svg ")).toBe(true);
    expect(svg).toContain("<title>title &#60;&#38;&#62;</title>");
    expect(svg).toContain("N = 100, loopback");
    expect(svg).toContain("N = 100, 10 ms injected per @connections call");
    expect(svg.match(/<rect x=/g)).toHaveLength(results.length);
    expect(svg).toContain('stroke-dasharray="4 3"');
    expect(svg).toContain("100 ms (2.00x HTTP ceiling) NOT exactly once");
  });

  it("escapes every XML special character", () => {
    // Prepare
    const text = `<a href="x">'&'</a>`;
    // Act
    const escaped = escapeXml(text);
    // Assess
    expect(escaped).not.toMatch(/[<>"'&](?!#)/);
    expect(escaped).toBe("&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;");
  });
});
