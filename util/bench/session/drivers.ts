/** The parent side of a baseline driver process (driver-process.ts). */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  type DriverAlgorithm,
  type DriverTarget,
  type FromDriver,
  type HandlerOptions,
  stopChild,
  type ToDriver,
} from "./ipc.js";

const WORKER = fileURLToPath(new URL("./driver-process.ts", import.meta.url));

/** The result of one baseline run, as the driver reported it. */
export type DriverDone = Extract<FromDriver, { type: "done" }>;

/** One driver process, running one algorithm against one stack. */
export class Driver {
  private readonly child: ChildProcess;

  private constructor(child: ChildProcess) {
    this.child = child;
  }

  private next<T extends FromDriver>(
    match: (m: FromDriver) => m is T,
    timeoutMs: number,
    what: string,
  ): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.child.off("message", listener);
        reject(new Error(`${what}: no answer from the driver within ${timeoutMs} ms`));
      }, timeoutMs);
      const listener = (m: FromDriver) => {
        if (m.type === "error" || match(m)) {
          clearTimeout(timer);
          this.child.off("message", listener);
          if (m.type === "error") reject(new Error(`driver: ${m.message}`));
          else resolve(m as T);
        }
      };
      this.child.on("message", listener);
    });
  }

  /**
   * Starts a driver process for the algorithm and waits until it is ready.
   * @param handler - how the `handler` algorithm invokes the bundle (default: an SNS event)
   */
  static async start(
    algorithm: DriverAlgorithm,
    target: DriverTarget,
    handler?: HandlerOptions,
  ): Promise<Driver> {
    const child = fork(WORKER, [], {
      execArgv: ["--import", "tsx"],
      // stdout ignored: the handler driver logs its fan-out summary there, as the Lambda does.
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    const driver = new Driver(child);
    const ready = driver.next(
      (m): m is Extract<FromDriver, { type: "ready" }> => m.type === "ready",
      30_000,
      "init",
    );
    child.send({ type: "init", algorithm, target, ...(handler ? { handler } : {}) } satisfies ToDriver);
    await ready;
    return driver;
  }

  /** Runs the algorithm once with the payload. */
  run(runId: string, payload: string, timeoutMs: number): Promise<DriverDone> {
    const done = this.next((m): m is DriverDone => m.type === "done" && m.runId === runId, timeoutMs, runId);
    this.child.send({ type: "run", runId, payload } satisfies ToDriver);
    return done;
  }

  /**
   * Starts sampling this process's CPU (the V8 profiler), so that a profile holds the runs and not the start-up.
   * @param intervalMicros - the sampling interval
   */
  async startProfile(intervalMicros: number): Promise<void> {
    await this.ask({ type: "profile-start", intervalMicros }, "profiling", 10_000);
  }

  /**
   * Stops sampling and writes the profile (a `.cpuprofile`, which Chrome DevTools opens).
   * @param file - where the profile goes
   */
  async stopProfile(file: string): Promise<void> {
    await this.ask({ type: "profile-stop", file }, "profiled", 60_000);
  }

  /** Sends a message and waits for the answer of the given type. */
  private async ask(message: ToDriver, answer: FromDriver["type"], timeoutMs: number): Promise<void> {
    const answered = this.next((m): m is FromDriver => m.type === answer, timeoutMs, message.type);
    this.child.send(message);
    await answered;
  }

  /** Ends the process (killing it if it does not exit). */
  stop(): Promise<void> {
    return stopChild(this.child, { type: "exit" });
  }
}
