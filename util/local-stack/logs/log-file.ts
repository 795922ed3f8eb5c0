/**
 * The stack's two log files, as the deployed stack has two log groups: the stage's access log and the Lambda's log.
 * Each line is also shown on the terminal when it is written (arrival order), and the Lambda's lines go to the web
 * console too.
 */
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { AccessLogRecord } from "../gateway/access-log.js";
import { formatAccess, formatLambda } from "./format.js";
import { LogTail } from "./tail.js";

/** A log file that gets one JSON object per line, appended (earlier runs' lines are kept). */
class JsonLogFile {
  private readonly stream: WriteStream;

  constructor(readonly path: string) {
    this.stream = createWriteStream(path, { flags: "a" });
  }

  write(record: object): void {
    // An invocation that ends during shutdown (a $disconnect in flight, say) logs after the file is closed.
    if (!this.stream.writableEnded) this.stream.write(`${JSON.stringify(record)}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(resolve));
  }
}

/** The two log files and where their lines go. */
export interface Logs {
  access: JsonLogFile;
  lambda: JsonLogFile;
  /** The Lambda's recent and live log records, for the console. */
  lambdaTail: LogTail;
  logAccess(record: AccessLogRecord): void;
  logLambda(record: Record<string, unknown>): void;
  /** A WARN line of the local stack itself in the Lambda's log (`<who>: <message>`), where a user looks first. */
  warn(who: string, message: string): void;
  close(): Promise<void>;
}

/**
 * Opens `<stateDir>/logs/access.log` and `<stateDir>/logs/lambda.log` (appended: earlier runs' lines are kept).
 * @param stateDir - the state folder
 * @param say - where the terminal lines go; none (a quiet stack: tests, the bench), and no line is formatted
 */
export async function openLogs(stateDir: string, say: ((line: string) => void) | undefined): Promise<Logs> {
  await mkdir(join(stateDir, "logs"), { recursive: true });
  const access = new JsonLogFile(join(stateDir, "logs", "access.log"));
  const lambda = new JsonLogFile(join(stateDir, "logs", "lambda.log"));
  const lambdaTail = new LogTail();
  const logLambda = (record: Record<string, unknown>) => {
    lambda.write(record);
    lambdaTail.push(record);
    say?.(formatLambda(record));
  };
  return {
    access,
    lambda,
    lambdaTail,
    logAccess(record) {
      access.write(record);
      say?.(formatAccess(record));
    },
    logLambda,
    warn: (who, message) =>
      logLambda({ timestamp: new Date().toISOString(), level: "WARN", message: `${who}: ${message}` }),
    close: async () => {
      await Promise.all([access.close(), lambda.close()]);
    },
  };
}
