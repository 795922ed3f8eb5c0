/** How many Lambda log lines a newly opened console gets before the live ones. */
const LOG_BACKLOG = 200;

/** The Lambda log lines as they are written: the last {@link LOG_BACKLOG} kept, and listeners for the next ones. */
export class LogTail {
  private readonly lines: Record<string, unknown>[] = [];
  private readonly listeners = new Set<(record: Record<string, unknown>) => void>();

  /** Adds a line (the local stack calls this for every Lambda log record). */
  push(record: Record<string, unknown>): void {
    this.lines.push(record);
    if (this.lines.length > LOG_BACKLOG) this.lines.shift();
    for (const listener of this.listeners) listener(record);
  }

  /** The lines kept, oldest first. */
  recent(): Record<string, unknown>[] {
    return [...this.lines];
  }

  /** Calls `listener` for every later line; returns the function that stops it. */
  subscribe(listener: (record: Record<string, unknown>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
