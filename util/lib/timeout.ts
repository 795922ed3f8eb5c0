/**
 * `--timeout DURATION`, shared by the CLIs: a script that calls one must never wait for ever on a network that
 * does not answer (util/connect waiting for a frame that never comes, an SDK call to an unreachable endpoint).
 */
import { CliError, UsageError } from "./cli.js";

/** The `parseArgs` option; spread it into a CLI's options. */
export const timeoutArgs = { timeout: { type: "string" } } as const;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** The longest timeout: what `setTimeout` can wait (about 24.8 days). */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Parses `--timeout`: `500ms`, `10s`, `2m`, `1h`, or a bare number of seconds (fractions allowed: `2.5`).
 * @param text - the flag's value, if given
 * @returns milliseconds, or undefined when the flag is absent
 * @throws UsageError saying what is accepted
 */
export function parseTimeout(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  const ms = match ? Math.round(Number(match[1]) * (UNIT_MS[match[2] ?? "s"] ?? 1000)) : Number.NaN;
  if (!(ms >= 1 && ms <= MAX_TIMEOUT_MS)) {
    throw new UsageError(
      `--timeout ${text}: give a duration such as 500ms, 10s or 2m (a bare number is seconds)`,
    );
  }
  return ms;
}

/**
 * A duration for a person: `800 ms`, `10 s`, `2.5 s`, `2 min`.
 * @param ms - milliseconds
 */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${Number((ms / 1000).toFixed(1))} s`;
  return `${Number((ms / 60_000).toFixed(1))} min`;
}

/**
 * Runs `work` under a deadline: when `ms` passes first, the signal given to `work` aborts (pass it to SDK calls as
 * `abortSignal`) and the promise rejects with a {@link CliError} that names what did not finish.
 * @param ms - the deadline; undefined runs `work` without one
 * @param what - what is waited for, for the message ("the publish to SNS")
 * @param work - the work, given the signal
 */
export async function withTimeout<T>(
  ms: number | undefined,
  what: string,
  work: (signal: AbortSignal | undefined) => Promise<T>,
): Promise<T> {
  if (ms === undefined) return work(undefined);
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new CliError(`${what} did not finish within ${formatDuration(ms)} (--timeout)`));
    }, ms);
  });
  try {
    return await Promise.race([work(controller.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}
