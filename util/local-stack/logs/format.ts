/** The terminal's readable line for each record of the two logs (the web console shows the Lambda's too). */
import type { AccessLogRecord } from "../gateway/access-log.js";

/** Context fields Powertools adds to every line: the terminal leaves them out (the log file keeps them). */
const HIDDEN_FIELDS: ReadonlySet<string> = new Set([
  "service",
  "requestId",
  "xray_trace_id",
  "sampling_rate",
  "cold_start",
  "function_arn",
  "function_memory_size",
  "function_name",
  "function_request_id",
]);

/**
 * Shows the characters a terminal would act on as `\u001b`-style escapes: C0 controls (ESC starts colour, title and
 * hyperlink sequences; CR and LF could forge a line), DEL, C1 controls (0x9b is a one-byte CSI on some terminals) and
 * the bidirectional overrides that reorder what is shown. Everything a client sends (a channel name, an SNS
 * attribute) reaches these lines.
 * @param text - a line
 * @param keepNewlines - leave `\n` as is: the stack's own text of several lines (the ready text)
 */
export function escapeControl(text: string, keepNewlines = false): string {
  let escaped = "";
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    const control =
      code < 0x20 ||
      (code >= 0x7f && code <= 0x9f) ||
      (code >= 0x202a && code <= 0x202e) ||
      (code >= 0x2066 && code <= 0x2069);
    escaped +=
      control && !(keepNewlines && char === "\n") ? `\\u${code.toString(16).padStart(4, "0")}` : char;
  }
  return escaped;
}

function clock(date: Date): string {
  return date.toISOString().slice(11, 23);
}

/*
 * Terminal lines are printed in the order they arrive and stamped with the time they are printed, so the clock
 * column only ever goes forward. A request's line arrives when it ends; its start time and latency are in the log
 * file (requestTime, integrationLatency), as in the stage's access log.
 */

/** One readable terminal line for an access log record: `12:00:01.123 gateway MESSAGE    broadcast 200 Ek02…= 12 ms`. */
export function formatAccess(record: AccessLogRecord, now = new Date()): string {
  const parts = [
    clock(now),
    "gateway",
    record.eventType.padEnd(10),
    record.routeKey,
    record.status,
    record.connectionId,
    `${record.integrationLatency} ms`,
  ];
  if (record.errorMessage !== "-") parts.push(`(${record.errorMessage})`);
  if (record.integrationError !== "-" && record.integrationError !== record.errorMessage) {
    parts.push(`(${record.integrationError})`);
  }
  return escapeControl(parts.join(" "));
}

/**
 * One readable terminal line for a Lambda log record: the function's JSON lines as `time lambda LEVEL message k=v`,
 * the platform's report as `time lambda REPORT <requestId> 12.3 ms, 61 MB`.
 */
export function formatLambda(record: Record<string, unknown>, now = new Date()): string {
  if (record.type === "platform.report") {
    const { requestId, metrics, status } = record.record as {
      requestId: string;
      metrics: { durationMs: number; maxMemoryUsedMB: number; initDurationMs?: number };
      status: string;
    };
    const init = metrics.initDurationMs === undefined ? "" : `, init ${metrics.initDurationMs.toFixed(1)} ms`;
    const outcome = status === "success" ? "" : ` ${status.toUpperCase()}`;
    return escapeControl(
      `${clock(now)} lambda  REPORT ${requestId} ${metrics.durationMs.toFixed(1)} ms, ${metrics.maxMemoryUsedMB} MB${init}${outcome}`,
    );
  }
  const { timestamp: _timestamp, level, message, ...rest } = record;
  const extras = Object.entries(rest)
    .filter(([key]) => !HIDDEN_FIELDS.has(key))
    .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`);
  return escapeControl(
    [clock(now), "lambda ", String(level ?? "INFO").padEnd(5), String(message ?? ""), ...extras].join(" "),
  );
}
