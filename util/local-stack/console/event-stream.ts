import type { IncomingMessage, ServerResponse } from "node:http";
import { formatLambda } from "../logs/format.js";
import type { LogTail } from "../logs/tail.js";

/** How often the connection count is sampled for the event stream (sent only when it changed). */
const COUNT_INTERVAL_MS = 250;
/** A comment line on the event stream this often, so that an idle stream is not taken for a dead one. */
const KEEPALIVE_MS = 15_000;

/**
 * Server-sent events: `connections` (the live count, when it changes) and `log` (`{level, text}` for each Lambda log
 * record, the backlog first). Ends when the page goes away or the gateway stops.
 * @param lambdaLog - the Lambda's log lines
 * @param connectionCount - the gateway's live connection count
 */
export function streamEvents(
  lambdaLog: LogTail,
  connectionCount: () => number,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
  });
  const event = (name: string, data: unknown) =>
    res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  let count = connectionCount();
  event("connections", count);
  // The terminal's readable line (context fields left out), stamped with the record's own time, so that the backlog
  // replayed to a page opened later keeps the times the lines were written at.
  const line = (record: Record<string, unknown>) => {
    const level = record.type === "platform.report" ? "REPORT" : String(record.level ?? "INFO");
    event("log", { level, text: formatLambda(record, recordTime(record)) });
  };
  for (const record of lambdaLog.recent()) line(record);
  const unsubscribe = lambdaLog.subscribe(line);
  const sampler = setInterval(() => {
    const now = connectionCount();
    if (now === count) return;
    count = now;
    event("connections", count);
  }, COUNT_INTERVAL_MS);
  const keepalive = setInterval(() => res.write(": keepalive\n\n"), KEEPALIVE_MS);
  req.socket.setTimeout(0);
  res.on("close", () => {
    clearInterval(sampler);
    clearInterval(keepalive);
    unsubscribe();
  });
}

/**
 * When a Lambda log record was written: Powertools' `timestamp`, or the `time` of a platform record
 * (`platform.report`); now for a record that carries neither.
 * @param record - the record
 */
function recordTime(record: Record<string, unknown>): Date {
  const stamp = record.timestamp ?? record.time;
  const at = typeof stamp === "string" ? new Date(stamp) : new Date(Number.NaN);
  return Number.isNaN(at.getTime()) ? new Date() : at;
}
