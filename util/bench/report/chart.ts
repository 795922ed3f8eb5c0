/**
 * The SVG chart the README shows: one panel per (N, network model), one horizontal bar per scenario, length on a
 * log scale (the scenarios span three orders of magnitude), labelled with the time and the ratio to the HTTP
 * ceiling. Hand-written SVG: no chart library for a dozen rectangles.
 */
import {
  groupByModel,
  ratio,
  representativeMs,
  SCENARIO_LABELS,
  SCENARIOS,
  type ScenarioId,
  type ScenarioResult,
} from "../model.js";

const WIDTH = 960;
const LABEL_W = 300;
const BAR_H = 18;
const GAP = 6;
const PANEL_TITLE_H = 28;
const PLOT_W = WIDTH - LABEL_W - 230;

const COLORS: Record<ScenarioId, string> = {
  ceiling: "#9aa5b1",
  "http-ceiling": "#627d98",
  seed: "#d64545",
  "aws-sample": "#e8a33d",
  "ours-sns": "#2f8a5f",
  "ours-broadcast": "#3ebd7e",
};

/** Escapes text for SVG content and attributes. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function fmtMs(ms: number): string {
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${ms >= 100 ? Math.round(ms).toLocaleString("en-US") : ms.toFixed(1)} ms`;
}

/** Renders the results as a standalone SVG document. */
export function renderChart(results: readonly ScenarioResult[], title: string): string {
  const times = results.map(representativeMs).filter((v): v is number => v !== undefined && v > 0);
  const lo = times.length > 0 ? 10 ** Math.floor(Math.log10(Math.min(...times))) : 1;
  const hi = times.length > 0 ? 10 ** Math.ceil(Math.log10(Math.max(...times))) : 10;
  const span = Math.max(Math.log10(hi) - Math.log10(lo), 1);
  const x = (ms: number) => LABEL_W + (Math.log10(Math.max(ms, lo) / lo) / span) * PLOT_W;

  const out: string[] = [];
  let y = 40;
  for (const panel of groupByModel(results)) {
    const network = panel.delayMs > 0 ? `${panel.delayMs} ms injected per @connections call` : "loopback";
    out.push(
      `<text x="8" y="${y + 18}" font-weight="bold">N = ${panel.n.toLocaleString("en-US")}, ${escapeXml(network)}</text>`,
    );
    y += PANEL_TITLE_H;
    const http = representativeMs(panel.results.find((r) => r.scenario === "http-ceiling"));
    for (const scenario of SCENARIOS) {
      const result = panel.results.find((r) => r.scenario === scenario);
      if (!result) continue;
      const ms = representativeMs(result);
      out.push(`<text x="16" y="${y + BAR_H - 4}">${escapeXml(SCENARIO_LABELS[scenario])}</text>`);
      if (ms === undefined) {
        out.push(`<text x="${LABEL_W}" y="${y + BAR_H - 4}" fill="#777">not run</text>`);
      } else {
        const bound = result.summary === null;
        const w = Math.max(x(ms) - LABEL_W, 1);
        const fill = COLORS[scenario];
        out.push(
          bound
            ? `<rect x="${LABEL_W}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H}" fill="none" stroke="${fill}" stroke-dasharray="4 3"/>`
            : `<rect x="${LABEL_W}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H}" fill="${fill}"/>`,
        );
        const x2 = ratio(ms, http);
        const label = `${bound ? ">= " : ""}${fmtMs(ms)}${x2 !== undefined && scenario !== "http-ceiling" ? ` (${x2.toFixed(2)}x HTTP ceiling)` : ""}${result.summary && !result.summary.exactlyOnce ? " NOT exactly once" : ""}`;
        out.push(`<text x="${(LABEL_W + w + 6).toFixed(1)}" y="${y + BAR_H - 4}">${escapeXml(label)}</text>`);
      }
      y += BAR_H + GAP;
    }
    y += GAP * 2;
  }
  const ticks: string[] = [];
  for (let t = lo; t <= hi * 1.0001; t *= 10) {
    ticks.push(
      `<line x1="${x(t).toFixed(1)}" y1="34" x2="${x(t).toFixed(1)}" y2="${y}" stroke="#e4e7eb"/>`,
      `<text x="${x(t).toFixed(1)}" y="${y + 14}" text-anchor="middle" fill="#555">${escapeXml(fmtMs(t))}</text>`,
    );
  }
  const height = y + 40;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12" role="img">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="8" y="20" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    ...ticks,
    ...out,
    `<text x="${LABEL_W}" y="${y + 32}" fill="#555">publish to last receipt, median of runs, log scale; dashed: lower bound, not run</text>`,
    "</svg>",
    "",
  ].join("\n");
}
