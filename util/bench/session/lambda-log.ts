import { open } from "node:fs/promises";

/**
 * The function's log file as the benchmark reads it while the stack runs: where it ends now, and the JSON lines
 * written since. At N = 10,000 the whole file is megabytes, so each read starts where it is told.
 */
export class LambdaLog {
  /** Where the log ended at the last look (see {@link end}). */
  private seen = 0;

  /** @param file - the stack's `lambda_log_file` */
  constructor(private readonly file: string) {}

  /**
   * The byte offset just past the last complete line of the log now: pass it to {@link since} later to read what
   * came since. Reads only what came since the last look, and parses nothing.
   */
  async end(): Promise<number> {
    const bytes = await this.read(this.seen);
    this.seen += bytes.lastIndexOf(0x0a) + 1;
    return this.seen;
  }

  /**
   * The log lines (one JSON object each) from byte `from` on, up to the last complete line: a line being written now
   * is read next time.
   * @param from - an offset {@link end} returned
   */
  async since(from: number): Promise<Array<Record<string, unknown>>> {
    const bytes = await this.read(from);
    return bytes
      .subarray(0, bytes.lastIndexOf(0x0a) + 1)
      .toString("utf8")
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** How the fan-outs logged since byte `from` were dispatched, in words ("inline", "sharded into 4"). */
  async dispatchSince(from: number): Promise<string | undefined> {
    const modes = (await this.since(from))
      .filter((line) => line.message === "fan-out dispatched")
      .map((line) => (line.mode === "sharded" ? `sharded into ${String(line.shards)}` : String(line.mode)));
    return modes.length > 0 ? [...new Set(modes)].join(", ") : undefined;
  }

  /** The log file from byte `from` to its end. */
  private async read(from: number): Promise<Buffer> {
    const file = await open(this.file);
    try {
      const length = Math.max(0, (await file.stat()).size - from);
      const bytes = Buffer.alloc(length);
      const { bytesRead } = await file.read(bytes, 0, length, from);
      return bytes.subarray(0, bytesRead);
    } finally {
      await file.close();
    }
  }
}
