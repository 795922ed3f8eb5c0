import type { Log, LogAttributes } from "../../../src/app/log.js";

/** One line the recording log received, with the keys appended at the time. */
export interface LogLine {
  level: "debug" | "info" | "warn" | "error";
  message: string;
  attributes: LogAttributes;
}

/** A `Log` that keeps its lines in memory, merging appended keys as Powertools does. */
export class RecordingLog implements Log {
  readonly lines: LogLine[] = [];
  private keys: LogAttributes = {};

  debug(message: string, ...attributes: LogAttributes[]): void {
    this.record("debug", message, attributes);
  }
  info(message: string, ...attributes: LogAttributes[]): void {
    this.record("info", message, attributes);
  }
  warn(message: string, ...attributes: LogAttributes[]): void {
    this.record("warn", message, attributes);
  }
  error(message: string, ...attributes: LogAttributes[]): void {
    this.record("error", message, attributes);
  }
  appendKeys(attributes: LogAttributes): void {
    this.keys = { ...this.keys, ...attributes };
  }
  removeKeys(keys: string[]): void {
    for (const key of keys) delete this.keys[key];
  }
  resetKeys(): void {
    this.keys = {};
  }

  /** The lines with this message. */
  find(message: string): LogLine[] {
    return this.lines.filter((line) => line.message === message);
  }

  private record(level: LogLine["level"], message: string, attributes: LogAttributes[]): void {
    this.lines.push({ level, message, attributes: Object.assign({}, this.keys, ...attributes) });
  }
}
