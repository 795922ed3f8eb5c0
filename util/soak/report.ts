/** The soak's results file and its terminal table (Markdown, which reads well on a terminal too). */
import type { Machine } from "../bench/report/machine.js";
import type { Delivery } from "./account.js";
import type { SoakOptions } from "./args.js";
import type { ClientStatus } from "./ipc.js";
import type { MemoryFigures } from "./memory.js";
import type { RecoveryFigures } from "./recovery.js";

/** What results.json holds. */
export interface SoakResults {
  command: string;
  startedAt: string;
  finishedAt: string;
  machine: Machine;
  options: SoakOptions;
  /** How long connecting the stayers and the first churners took, ms. */
  connectMs: number;
  /** The clients' counters at the end (churn connects, closes, resets, failures, dropped stayers). */
  clients: ClientStatus;
  delivery: Delivery;
  /** Connection keys in S3 after every client closed and `$disconnect` ran. */
  keysLeft: number;
  memory: MemoryFigures;
  /** The runtime's own figures: invocations, and the peak RSS the workers reported (retired ones included). */
  lambda: { invocations: number; reportedPeakRssBytes: number };
  /** The recovery phase's figures; null when it did not run (`--recovery-clients 0`). */
  recovery: RecoveryFigures | null;
  /** Why the run failed; empty when it passed. */
  failures: string[];
}

const int = (v: number) => Math.round(v).toLocaleString("en-US");
const mb = (bytes: number | null) => (bytes === null ? "-" : `${(bytes / 2 ** 20).toFixed(1)} MB`);

/** Renders the results as a two-column table and a verdict line. */
export function renderReport(r: SoakResults): string {
  const d = r.delivery;
  const o = r.options;
  const rows: Array<[string, string]> = [
    ["clients", `${int(o.clients)} (${int(o.stayers)} stayers, ${int(o.clients - o.stayers)} churner slots)`],
    ["publishing", `${int(o.seconds)} s at ${o.ratePerSec}/s, alternating SNS and broadcast`],
    [
      "churn",
      `${int(r.clients.churnConnects)} connects, ${int(r.clients.churnCloses)} closes ` +
        `(${int(r.clients.churnAborts)} TCP resets), ${int(r.clients.connectFailures)} failed connects`,
    ],
    [
      "messages published",
      `${int(d.published.total)} (${int(d.published.sns)} SNS, ${int(d.published.broadcast)} broadcast` +
        `${d.published.failed > 0 ? `, ${int(d.published.failed)} failed` : ""})`,
    ],
    ["stayers: expected deliveries", int(d.stayers.expected)],
    ["stayers: deliveries", int(d.stayers.delivered)],
    ["stayers: misses", int(d.stayers.misses)],
    ["stayers: duplicates", int(d.stayers.duplicates)],
    ["stayers: disconnected during the run", int(r.clients.stayersDropped)],
    [
      "churners: may receive / delivered",
      `${int(d.churners.mayReceive)} / ${int(d.churners.delivered)} (over ${int(d.churners.sessions)} sessions)`,
    ],
    ["churners: duplicates", int(d.churners.duplicates)],
    [
      "publish to last receipt",
      d.latencyMs
        ? `p50 ${int(d.latencyMs.p50)} ms, p99 ${int(d.latencyMs.p99)} ms, max ${int(d.latencyMs.max)} ms`
        : "-",
    ],
    ["other frames (errors)", int(d.otherFrames)],
    ["connection keys left in S3", int(r.keysLeft)],
    [
      "gateway RSS: peak (after connect, at end)",
      `${mb(r.memory.gatewayPeakRssBytes)} (${mb(r.memory.gatewayRssAfterConnectBytes)}, ${mb(r.memory.gatewayRssAtEndBytes)})`,
    ],
    [
      "Lambda worker RSS: peak",
      `${mb(r.memory.lambdaPeakRssBytes)} over ${r.memory.lambdaWorkersSeen} workers ` +
        `(reported by the runtime: ${mb(r.lambda.reportedPeakRssBytes)}, ${int(r.lambda.invocations)} invocations)`,
    ],
    ...recoveryRows(r.recovery),
  ];
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  const table = [line(["soak", "figure"]), line(["---", "---"]), ...rows.map(line)].join("\n");
  const verdict =
    r.failures.length === 0
      ? `PASSED: every stayer got every message exactly once, no duplicates, no connection key left${r.recovery ? "; every recovery client every message once, in order, no incomplete recovery" : ""}.`
      : `FAILED: ${r.failures.join("; ")}`;
  const samples = d.otherSamples.length > 0 ? `\nfirst other frames: ${d.otherSamples.join(" | ")}` : "";
  return `${table}\n\n${verdict}${samples}`;
}

/** The recovery phase's rows, none when it did not run. */
function recoveryRows(f: RecoveryFigures | null): Array<[string, string]> {
  if (f === null) return [];
  const rate = f.published / (f.publishedInMs / 1000);
  return [
    [
      "recovery: clients, messages",
      `${int(f.clients)} library clients, ${int(f.published)} messages in ${int(f.publishedInMs / 1000)} s (${rate.toFixed(1)}/s)`,
    ],
    ["recovery: churn", `${int(f.drops)} drops (@connections DELETE), ${int(f.renewals)} renewals`],
    ["recovery: expected / delivered", `${int(f.expected)} / ${int(f.delivered)}`],
    [
      "recovery: misses, duplicates, out of order, disagreements",
      `${int(f.misses)}, ${int(f.duplicates)}, ${int(f.outOfOrder)}, ${int(f.disagreements)}`,
    ],
    [
      "recovery: recoveries (complete, incomplete)",
      `${int(f.recoveries.complete)}, ${int(f.recoveries.incomplete)}`,
    ],
  ];
}
