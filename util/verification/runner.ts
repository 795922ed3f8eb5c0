/**
 * Runs the steps of a check in order, each under its own deadline, and says for each one whether it passed, failed
 * or was skipped, and why. A step whose prerequisite did not pass is skipped rather than run into a certain failure,
 * so the first failure is the one to read.
 */
import { formatDuration } from "../lib/timeout.js";

/** A step that could not pass: the message says what went wrong, the hint where to look. */
export class StepFailure extends Error {
  override name = "StepFailure";
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/**
 * How long past its deadline a step may run before the runner stops waiting for it: a step's own waits end at the
 * deadline and say what they missed, which is the better message; this only catches a step stuck elsewhere.
 */
const OVERRUN_GRACE_MS = 500;

/** What a step returns: what it saw (a pass), or why it did not apply (a skip). */
export type StepOutcome = { passed: string } | { skipped: string };

/** One step of a check. */
export interface Step<C> {
  /** A short name, printed on the step's line (`connect`). */
  name: string;
  /** The steps that must have passed for this one to run. */
  needs: readonly string[];
  /**
   * The step itself.
   * @param context - what the steps share (clients, ids, the target)
   * @param deadline - when the step's time is up (epoch ms): waits inside end by then
   */
  run(context: C, deadline: number): Promise<StepOutcome>;
}

/** What became of one step. */
export interface StepResult {
  name: string;
  status: "pass" | "fail" | "skip";
  /** What it saw, why it failed, or why it was skipped. */
  detail: string;
  /** Where to look, for a failure. */
  hint?: string;
  durationMs: number;
}

/**
 * Runs the steps in order, each within `timeoutMs`, and reports each result as it comes.
 * @param steps - the steps
 * @param context - what they share
 * @param timeoutMs - each step's time
 * @param report - called with each result as soon as it is known
 */
export async function runSteps<C>(
  steps: readonly Step<C>[],
  context: C,
  timeoutMs: number,
  report: (result: StepResult) => void,
): Promise<StepResult[]> {
  const results: StepResult[] = [];
  for (const step of steps) {
    const started = Date.now();
    const missing = step.needs.filter((name) => results.find((r) => r.name === name)?.status !== "pass");
    const result: StepResult =
      missing.length > 0
        ? {
            name: step.name,
            status: "skip",
            detail: `needs ${missing.join(" and ")}, which did not pass`,
            durationMs: 0,
          }
        : {
            name: step.name,
            durationMs: 0,
            ...(await runOne(step, context, started + timeoutMs, timeoutMs)),
          };
    result.durationMs = Date.now() - started;
    results.push(result);
    report(result);
  }
  return results;
}

/** One step under its deadline: a step that overruns it fails, whatever it was waiting for. */
async function runOne<C>(
  step: Step<C>,
  context: C,
  deadline: number,
  timeoutMs: number,
): Promise<Pick<StepResult, "status" | "detail" | "hint">> {
  let timer: NodeJS.Timeout | undefined;
  const overrun = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new StepFailure(`did not finish within ${formatDuration(timeoutMs)} (--timeout)`)),
      deadline - Date.now() + OVERRUN_GRACE_MS,
    );
  });
  try {
    const outcome = await Promise.race([step.run(context, deadline), overrun]);
    return "passed" in outcome
      ? { status: "pass", detail: outcome.passed }
      : { status: "skip", detail: outcome.skipped };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { status: "fail", detail: message, hint: error instanceof StepFailure ? error.hint : undefined };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One result as a line (two for a failure with a hint): `PASS  connect   two clients connected  (41 ms)`.
 * @param result - the step's result
 */
export function formatResult(result: StepResult): string {
  const label = { pass: "PASS", fail: "FAIL", skip: "SKIP" }[result.status];
  const time = result.status === "skip" ? "" : ` (${formatDuration(result.durationMs)})`;
  const line = `${label}  ${result.name.padEnd(12)} ${result.detail}${time}`;
  return result.hint ? `${line}\n      look at: ${result.hint}` : line;
}

/**
 * The closing line: how many passed, failed and were skipped, and the total time.
 * @param results - every step's result
 * @param totalMs - the whole run's time
 */
export function summary(results: readonly StepResult[], totalMs: number): string {
  const count = (status: StepResult["status"]) => results.filter((r) => r.status === status).length;
  const parts = [`${count("pass")} passed`, `${count("fail")} failed`, `${count("skip")} skipped`];
  return `${parts.join(", ")} in ${formatDuration(totalMs)}`;
}
