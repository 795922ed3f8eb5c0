import { spawn } from "node:child_process";
import { repoRoot } from "../../util/lib/repo.js";

/** What a finished process left. */
export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command from the repository root, as a user runs it, to its end, collecting its output. A process that
 * outlives `timeoutMs` is interrupted with SIGINT (its own handler then stops what it started).
 * @param command - the executable
 * @param args - its arguments
 * @param timeoutMs - how long it may run before it is interrupted; no limit when absent
 */
export function runToEnd(command: string, args: string[], timeoutMs?: number): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => child.kill("SIGINT"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
