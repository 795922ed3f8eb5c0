import { open, stat } from "node:fs/promises";
import { StringDecoder } from "node:string_decoder";
import { type CloudWatchLogsClient, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { UsageError } from "./cli.js";

/** Where a log line came from: the function, or the API's access log. */
type LogSource = "lambda" | "api-gw";

/** One log line from either source. */
export interface LogLine {
  source: LogSource;
  /** The line's text, without its line break. */
  message: string;
  /** When it happened (epoch ms), when known: CloudWatch's event time, or a time field of a local JSON line. */
  timestamp?: number;
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * Parses `--since` as `aws logs tail` does: a relative time (`30s`, `10m`, `1h`, `2d`, `1w`) back from now, or an
 * ISO 8601 date/time.
 * @param text - the flag's value
 * @param now - the current time (epoch ms)
 * @returns the start time (epoch ms)
 */
export function parseSince(text: string, now: number): number {
  const relative = /^(\d+)([smhdw])$/.exec(text.trim());
  if (relative) return now - Number(relative[1]) * (UNIT_MS[relative[2] as string] as number);
  // Date.parse accepts more than ISO 8601 (e.g. "1"); require a date first.
  const absolute = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(absolute)) {
    throw new UsageError(
      `--since ${text}: give a relative time (30s, 10m, 1h, 2d, 1w) or an ISO date (2026-11-23T14:00Z)`,
    );
  }
  return absolute;
}

/**
 * The JSON object a log line carries, if any: the whole line, or what follows the last tab of a line the Lambda
 * runtime prefixed (`<time>\t<requestId>\t<level>\t{…}` with the Text log format).
 * @param message - the line
 */
export function jsonOf(message: string): Record<string, unknown> | undefined {
  const start = message.startsWith("{") ? 0 : message.lastIndexOf("\t{") + 1;
  if (start < 0 || message[start] !== "{") return undefined;
  try {
    const value: unknown = JSON.parse(message.slice(start));
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The time a local JSON log line says it happened: Powertools' `timestamp` (ISO); the access log's `requestTime`,
 * which the stage's log format fills with `$context.requestTimeEpoch` (milliseconds, written as a string, on AWS as
 * by the local gateway: `ACCESS_LOG_FORMAT`); `requestTimeEpoch` itself (a WebSocket event's field, in the ms a
 * line copied from an event carries); or the `time` (ISO) of a platform record such as `platform.report`.
 * @param message - the line
 */
export function timestampOf(message: string): number | undefined {
  const json = jsonOf(message);
  if (json === undefined) return undefined;
  for (const key of ["timestamp", "requestTime", "requestTimeEpoch", "time"]) {
    const value = json[key];
    const ms =
      typeof value === "number"
        ? value
        : typeof value === "string"
          ? /^\d+$/.test(value)
            ? Number(value)
            : Date.parse(value)
          : Number.NaN;
    if (!Number.isNaN(ms)) return ms;
  }
  return undefined;
}

/** How {@link formatLine} renders. */
export interface FormatOptions {
  /** Print the message as it is, on one line, instead of pretty-printing JSON. */
  raw?: boolean;
  /** Colour the labels (for a terminal). */
  color?: boolean;
}

const COLORS: Record<LogSource, string> = { lambda: "\u001b[36m", "api-gw": "\u001b[35m" };
const RESET = "\u001b[0m";

/**
 * Renders a log line for a person: every output line starts with its source's label (so `grep lambda` still
 * works on pretty-printed JSON), then the time when CloudWatch gave one, then the message, with JSON objects
 * indented.
 * @param line - the log line
 * @param options - see {@link FormatOptions}
 * @param withTime - prefix the event time (CloudWatch events; local lines carry their own)
 */
export function formatLine(line: LogLine, options: FormatOptions = {}, withTime = false): string {
  const label = `[${line.source}]`;
  const prefix = options.color ? `${COLORS[line.source]}${label}${RESET}` : label;
  const time = withTime && line.timestamp !== undefined ? `${new Date(line.timestamp).toISOString()} ` : "";
  const json = options.raw ? undefined : jsonOf(line.message);
  const body = json === undefined ? line.message : JSON.stringify(json, null, 2);
  return body
    .split("\n")
    .map((text, index) => `${prefix} ${index === 0 ? time : ""}${text}`)
    .join("\n");
}

/** One CloudWatch log group to follow, and the label of its lines. */
export interface LogGroup {
  source: LogSource;
  name: string;
}

/**
 * Late events: CloudWatch may make an event searchable seconds after its timestamp, so each poll looks back this
 * far and skips the event ids it has already printed.
 */
const LOOKBACK_MS = 30_000;

/** Options of {@link tailCloudWatch}. */
export interface CloudWatchTailOptions {
  /** Start time (epoch ms). */
  since: number;
  /** Keep polling after the first pass. */
  follow: boolean;
  /** Pause between polls. */
  intervalMs: number;
  /** Stops the tail (Ctrl-C). */
  signal?: AbortSignal;
  /** The clock, injectable for tests. */
  now?: () => number;
  /** How to wait between polls, injectable for tests. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Follows CloudWatch log groups with FilterLogEvents polling: each pass reads every group from the start time
 * (page by page), merges the new events by time and hands them out, oldest first. Live Tail
 * (StartLiveTail) would push events, but it shows none from before it started, so `--since` would be lost.
 * @param logs - the CloudWatch Logs client
 * @param groups - the log groups
 * @param options - see {@link CloudWatchTailOptions}
 */
export async function* tailCloudWatch(
  logs: CloudWatchLogsClient,
  groups: readonly LogGroup[],
  options: CloudWatchTailOptions,
): AsyncGenerator<LogLine> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? abortableSleep;
  const seen = new Map<string, number>();
  let startTime = options.since;
  while (!options.signal?.aborted) {
    const pollStarted = now();
    const batch: LogLine[] = [];
    for (const group of groups) {
      let nextToken: string | undefined;
      do {
        const page = await logs.send(
          new FilterLogEventsCommand({ logGroupName: group.name, startTime, nextToken }),
          options.signal ? { abortSignal: options.signal } : {},
        );
        for (const event of page.events ?? []) {
          const id = event.eventId ?? `${event.logStreamName}/${event.timestamp}/${event.message}`;
          if (seen.has(id)) continue;
          seen.set(id, event.timestamp ?? pollStarted);
          batch.push({
            source: group.source,
            message: (event.message ?? "").replace(/\r?\n$/, ""),
            timestamp: event.timestamp ?? pollStarted,
          });
        }
        nextToken = page.nextToken;
      } while (nextToken !== undefined && !options.signal?.aborted);
    }
    batch.sort((a, b) => (a.timestamp ?? 0) - (b.timestamp ?? 0));
    yield* batch;
    if (!options.follow) return;
    startTime = Math.max(options.since, pollStarted - LOOKBACK_MS);
    for (const [id, timestamp] of seen) if (timestamp < startTime) seen.delete(id);
    await sleep(options.intervalMs, options.signal);
  }
}

/** One local log file to follow, and the label of its lines. */
export interface LogFile {
  source: LogSource;
  path: string;
}

/** Options of {@link tailFiles}. */
export interface FileTailOptions {
  /** Lines whose time is known and earlier than this (epoch ms) are skipped. */
  since: number;
  /** Keep reading as the files grow. */
  follow: boolean;
  /** Pause between checks of the files. */
  intervalMs: number;
  /** Stops the tail (Ctrl-C). */
  signal?: AbortSignal;
}

/**
 * Follows the local stack's log files: first what they hold since `since`, then the lines appended, both merged by
 * time. A file that does not exist yet is waited for, and one that is truncated or replaced (the stack restarted)
 * is read again from its start.
 * @param files - the files
 * @param options - see {@link FileTailOptions}
 */
export async function* tailFiles(
  files: readonly LogFile[],
  options: FileTailOptions,
): AsyncGenerator<LogLine> {
  const readers = files.map((file) => new FileReader(file));
  const read = async () => mergeByTime(await Promise.all(readers.map((reader) => reader.read())));
  for (const { line, time } of await read()) {
    if (time === undefined || time >= options.since) yield line;
  }
  while (options.follow && !options.signal?.aborted) {
    await abortableSleep(options.intervalMs, options.signal);
    for (const { line } of await read()) yield line;
  }
}

/** A line and the time it sorts and filters by: its own, else its neighbours' in the same file. */
interface TimedLine {
  line: LogLine;
  time: number | undefined;
}

/** Merges the lines of several files by time; lines of one time keep their file's order (a stable sort). */
function mergeByTime(perFile: TimedLine[][]): TimedLine[] {
  return perFile.flat().sort((a, b) => (a.time ?? 0) - (b.time ?? 0));
}

/**
 * Reads the complete lines appended to a file since the last call. A line without a time of its own (a stack trace,
 * a runtime's text line) takes the time of the last timed line before it, or of the first one after it at the start
 * of a file, so that it sorts and filters with the lines around it.
 */
class FileReader {
  private position = 0;
  private lastTime: number | undefined;
  private inode: number | undefined;
  private partial = "";
  // A read may end inside a multi-byte character; the decoder keeps its first bytes for the next read.
  private decoder = new StringDecoder("utf8");

  constructor(private readonly file: LogFile) {}

  async read(): Promise<TimedLine[]> {
    const info = await stat(this.file.path).catch(() => undefined);
    if (info === undefined) return [];
    if (info.ino !== this.inode || info.size < this.position) {
      this.inode = info.ino;
      this.position = 0;
      this.lastTime = undefined;
      this.partial = "";
      this.decoder = new StringDecoder("utf8");
    }
    if (info.size === this.position) return [];
    const handle = await open(this.file.path, "r");
    try {
      const buffer = Buffer.alloc(info.size - this.position);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.position);
      this.position += bytesRead;
      const text = this.partial + this.decoder.write(buffer.subarray(0, bytesRead));
      const lines = text.split("\n");
      // The last piece is an unfinished line (or empty after a final line break): keep it for the next read.
      this.partial = lines.pop() ?? "";
      const read = lines
        .map((message) => message.replace(/\r$/, ""))
        .filter((message) => message.trim() !== "")
        .map((message) => ({ source: this.file.source, message, timestamp: timestampOf(message) }));
      const firstTime = read.find((line) => line.timestamp !== undefined)?.timestamp;
      return read.map((line) => {
        this.lastTime = line.timestamp ?? this.lastTime;
        return { line, time: this.lastTime ?? firstTime };
      });
    } finally {
      await handle.close();
    }
  }
}

/** Waits, or resolves early when the signal aborts (a stopped tail must not hang on its timer). */
function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
