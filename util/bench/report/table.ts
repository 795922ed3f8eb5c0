/**
 * The terminal (and README) table: one row per scenario, grouped by N and network model, with the ratio to the
 * HTTP ceiling as the headline column. Rendered as a Markdown table, which reads well on a terminal too.
 */
import {
  groupByModel,
  ratio,
  representativeMs,
  SCENARIO_LABELS,
  SCENARIOS,
  type ScenarioResult,
} from "../model.js";

const int = (v: number) => Math.round(v).toLocaleString("en-US");
const ms = (v: number) => (v >= 100 ? int(v) : v.toFixed(1));
const opt = (v: number | null | undefined, f: (v: number) => string) =>
  v === null || v === undefined || Number.isNaN(v) ? "-" : f(v);

const HEADER = [
  "N",
  "network",
  "scenario",
  "publish to last (ms)",
  "x HTTP ceiling",
  "x ceiling",
  "p50 (ms)",
  "p99 (ms)",
  "max (ms)",
  "deliveries/s",
  "sender CPU (ms)",
  "sender peak RSS (MB)",
  "exactly once",
];

/** Renders the results as a Markdown table. */
export function renderTable(results: readonly ScenarioResult[]): string {
  const rows: string[][] = [];
  for (const { n, delayMs, results: inGroup } of groupByModel(results)) {
    const http = representativeMs(inGroup.find((r) => r.scenario === "http-ceiling"));
    const ceiling = representativeMs(inGroup.find((r) => r.scenario === "ceiling"));
    for (const scenario of SCENARIOS) {
      const r = inGroup.find((x) => x.scenario === scenario);
      if (!r) continue;
      const s = r.summary;
      const rep = representativeMs(r);
      const time = s
        ? ms(s.publishToLastMs)
        : r.lowerBoundMs !== undefined
          ? `>= ${int(r.lowerBoundMs)}`
          : "-";
      const xs = (base: number | undefined) => {
        const v = ratio(rep, base);
        return v === undefined ? "-" : `${s ? "" : ">= "}${v.toFixed(2)}`;
      };
      rows.push([
        n.toLocaleString("en-US"),
        delayMs > 0 ? `${delayMs} ms/call` : "loopback",
        SCENARIO_LABELS[scenario] + (r.skipped ? ` (not run: ${r.skipped})` : ""),
        time,
        xs(http),
        xs(ceiling),
        opt(s?.p50Ms, ms),
        opt(s?.p99Ms, ms),
        opt(s?.maxMs, ms),
        opt(s?.deliveriesPerSec, int),
        opt(s?.senderCpuMs, int),
        opt(s?.senderPeakRssBytes, (b) => (b / 2 ** 20).toFixed(1)),
        s ? (s.exactlyOnce ? "yes" : "NO") : "-",
      ]);
    }
  }
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(HEADER), line(HEADER.map(() => "---")), ...rows.map(line)].join("\n");
}
