/** Messages between the local Lambda runtime (parent) and its execution environments (children), over IPC. */

/** Resource usage of one environment, from `process.resourceUsage()`. */
export interface WorkerUsage {
  cpuUserMicros: number;
  cpuSystemMicros: number;
  maxRssBytes: number;
}

/** An error as the Node.js Lambda runtime reports it. */
export interface FunctionError {
  errorType: string;
  errorMessage: string;
  stackTrace: string[];
}

/** Parent -> child: run the handler on this event. */
export interface InvokeRequest {
  id: number;
  requestId: string;
  traceId: string;
  invokedFunctionArn: string;
  /** Epoch milliseconds at which the function times out (for `context.getRemainingTimeInMillis()`). */
  deadlineMs: number;
  event: unknown;
}

/** Child -> parent. */
export type WorkerReply =
  | { type: "ready"; initDurationMs: number; usage: WorkerUsage }
  | { type: "init-error"; error: FunctionError; usage: WorkerUsage }
  | { type: "result"; id: number; result: unknown; usage: WorkerUsage }
  | { type: "error"; id: number; error: FunctionError; usage: WorkerUsage };
