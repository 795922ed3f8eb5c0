import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";

/**
 * Every interleaving of some concurrent operations' S3 calls, run one after the other against an in-memory bucket.
 * Each S3 call takes effect at one instant (S3 is strongly consistent: a call that has returned is seen by every
 * later one), so an interleaving is the order in which the calls of the operations take effect; an operation's own
 * calls keep their order. The explorer runs the operations once per interleaving, depth first, and hands each run's
 * trace and final bucket to the caller.
 */

/** One S3 call as it took effect: which operation made it, the call, and the key or keys. */
export interface Step {
  op: string;
  call: "put" | "delete" | "list";
  keys: string[];
}

/** One complete run: the order the calls took effect in, and the keys left. */
export interface Run {
  trace: Step[];
  keys: Set<string>;
}

/** A pending S3 call, held until the explorer lets it take effect. */
interface Held {
  op: string;
  command: { input: Record<string, unknown> };
  resolve(output: unknown): void;
}

/** An S3 client whose every call waits for its turn; `ops` tag the calls with the operation that made them. */
class SteppedS3 {
  readonly keys: Set<string>;
  readonly held: Held[] = [];
  readonly trace: Step[] = [];
  private current = "";

  constructor(initial: Iterable<string>) {
    this.keys = new Set(initial);
  }

  /** The client an operation uses: its calls are tagged with `op`. */
  clientFor(op: string): S3Client {
    return {
      send: (command: { input: Record<string, unknown> }) =>
        new Promise((resolve) => this.held.push({ op, command, resolve })),
    } as unknown as S3Client;
  }

  /** Lets the `index`th held call take effect. */
  release(index: number): void {
    const [call] = this.held.splice(index, 1);
    if (call === undefined) throw new Error(`no held call ${index}`);
    this.current = call.op;
    call.resolve(this.apply(call.command));
  }

  private apply(command: { input: Record<string, unknown> }): unknown {
    const input = command.input;
    if (command instanceof PutObjectCommand) {
      this.record("put", [input.Key as string]);
      this.keys.add(input.Key as string);
      return {};
    }
    if (command instanceof DeleteObjectCommand) {
      this.record("delete", [input.Key as string]);
      this.keys.delete(input.Key as string);
      return {};
    }
    if (command instanceof DeleteObjectsCommand) {
      const keys = (input.Delete as { Objects: Array<{ Key: string }> }).Objects.map((object) => object.Key);
      this.record("delete", keys);
      for (const key of keys) this.keys.delete(key);
      return {};
    }
    if (command instanceof ListObjectsV2Command) {
      const prefix = input.Prefix as string;
      const max = (input.MaxKeys as number | undefined) ?? 1000;
      const all = [...this.keys].filter((key) => key.startsWith(prefix)).sort();
      this.record("list", [prefix]);
      return { Contents: all.slice(0, max).map((Key) => ({ Key })), IsTruncated: all.length > max };
    }
    throw new Error(`the stepped S3 has no ${command.constructor.name}`);
  }

  private record(call: Step["call"], keys: string[]): void {
    this.trace.push({ op: this.current, call, keys });
  }
}

/**
 * Lets every promise callback that can run, run: the operations reach their next S3 call or their end. Their work
 * between two calls is all promise callbacks (microtasks), which run before the next macrotask.
 */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Runs `operations` concurrently once per interleaving of their S3 calls, and calls `check` with each run.
 * @param initial - the bucket's keys before every run
 * @param operations - by name, each given the client it must use
 * @param check - asserts on one run
 * @returns how many interleavings were run
 */
export async function everyInterleaving(
  initial: readonly string[],
  operations: Record<string, (s3: S3Client) => Promise<void>>,
  check: (run: Run) => void,
): Promise<number> {
  let prefix: number[] = [];
  let runs = 0;
  for (;;) {
    const s3 = new SteppedS3(initial);
    let running = 0;
    const done = Object.entries(operations).map(([name, operation]) => {
      running++;
      return operation(s3.clientFor(name)).finally(() => {
        running--;
      });
    });
    // The choices made at each step, and how many there were: the next run takes the next unexplored one.
    const choices: Array<{ taken: number; of: number }> = [];
    await settle();
    while (running > 0) {
      if (s3.held.length !== running) throw new Error("an operation is neither waiting on S3 nor finished");
      const taken = prefix[choices.length] ?? 0;
      choices.push({ taken, of: s3.held.length });
      s3.release(taken);
      await settle();
    }
    await Promise.all(done);
    runs++;
    check({ trace: s3.trace, keys: s3.keys });
    while (choices.length > 0 && (choices.at(-1)?.taken ?? 0) + 1 >= (choices.at(-1)?.of ?? 0)) choices.pop();
    const last = choices.pop();
    if (last === undefined) return runs;
    prefix = [...choices.map((choice) => choice.taken), last.taken + 1];
  }
}

/**
 * The position in a run's trace of an operation's `nth` call of a kind on a key (0-based), or -1.
 * @param trace - the run's trace
 * @param op - the operation
 * @param call - the kind of call
 * @param key - a key the call touched
 * @param nth - which of them
 */
export function stepOf(trace: readonly Step[], op: string, call: Step["call"], key: string, nth = 0): number {
  let seen = 0;
  for (const [index, step] of trace.entries()) {
    if (step.op === op && step.call === call && step.keys.includes(key) && seen++ === nth) return index;
  }
  return -1;
}
