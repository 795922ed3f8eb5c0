import { describe, expect, it } from "vitest";
import {
  formatResult,
  runSteps,
  type Step,
  StepFailure,
  type StepResult,
  summary,
} from "../../util/verification/runner.js";

/** A step that does what it is told. */
function step(name: string, run: Step<unknown>["run"], needs: string[] = []): Step<unknown> {
  return { name, needs, run };
}

describe("runSteps", () => {
  it("runs in order, skips a step whose prerequisite did not pass, and reports each result as it comes", async () => {
    // Prepare
    const reported: string[] = [];
    const steps = [
      step("first", async () => ({ passed: "fine" })),
      step("second", async () => {
        throw new StepFailure("broken", "the log");
      }),
      step("third", async () => ({ passed: "never runs" }), ["second"]),
      step("fourth", async () => ({ skipped: "not here" }), ["first"]),
    ];

    // Act
    const results = await runSteps(steps, {}, 1000, (result) => reported.push(result.name));

    // Assess
    expect(results.map(({ name, status, detail, hint }) => ({ name, status, detail, hint }))).toEqual([
      { name: "first", status: "pass", detail: "fine", hint: undefined },
      { name: "second", status: "fail", detail: "broken", hint: "the log" },
      { name: "third", status: "skip", detail: "needs second, which did not pass", hint: undefined },
      { name: "fourth", status: "skip", detail: "not here", hint: undefined },
    ]);
    expect(reported).toEqual(["first", "second", "third", "fourth"]);
  });

  it("fails a step that is still running past its deadline, whatever it waits for, and goes on", async () => {
    // Prepare: a step that never settles
    const steps = [
      step("stuck", () => new Promise(() => undefined)),
      step("next", async () => ({ passed: "ok" })),
    ];

    // Act
    const started = Date.now();
    const results = await runSteps(steps, {}, 100, () => undefined);

    // Assess
    expect(results[0]).toMatchObject({ status: "fail", detail: "did not finish within 100 ms (--timeout)" });
    expect(results[1]).toMatchObject({ status: "pass" });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it("gives each step the same deadline its waits should end by", async () => {
    // Prepare
    const deadlines: number[] = [];
    const record: Step<unknown>["run"] = async (_context, deadline) => {
      deadlines.push(deadline - Date.now());
      return { passed: "ok" };
    };

    // Act
    await runSteps([step("a", record), step("b", record)], {}, 5000, () => undefined);

    // Assess
    for (const left of deadlines) expect(left).toBeGreaterThan(4000);
    expect(deadlines).toHaveLength(2);
  });
});

describe("the lines", () => {
  it("print the status, the step, what it saw and its time; a failure's hint on the next line", () => {
    // Prepare
    const failed: StepResult = {
      name: "sns",
      status: "fail",
      detail: "nothing came",
      hint: "the log",
      durationMs: 2000,
    };
    const skipped: StepResult = { name: "token", status: "skip", detail: "open", durationMs: 0 };

    // Act / Assess
    expect(formatResult(failed)).toBe("FAIL  sns          nothing came (2 s)\n      look at: the log");
    expect(formatResult(skipped)).toBe("SKIP  token        open");
    expect(summary([failed, skipped], 2500)).toBe("0 passed, 1 failed, 1 skipped in 2.5 s");
  });
});
