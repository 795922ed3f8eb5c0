import { spawn } from "node:child_process";
import { type ParseArgsConfig, parseArgs } from "node:util";

/** Wrong usage: a bad flag, a missing argument, a malformed value. The CLI exits 2 and says what to do. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** An expected failure (missing outputs, no credentials, unknown topic): one line on stderr, exit 1, no stack. */
export class CliError extends Error {
  override name = "CliError";
}

/**
 * `parseArgs` in strict mode, with its errors (unknown option, missing value, unexpected positional) turned into
 * {@link UsageError}s so that they exit 2 like every other usage mistake.
 * @param config - the `parseArgs` configuration; `strict` is forced on
 */
export function parseCliArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs<T>({ ...config, strict: true });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS_")) {
      throw new UsageError((error as Error).message);
    }
    throw error;
  }
}

/**
 * Runs a CLI's main function and turns its outcome into an exit code: 0 when it resolves, 2 on a
 * {@link UsageError} (with a pointer to `--help`), 1 on anything else, in one line. A stack trace is printed only
 * for unexpected errors and only with `FANOUT_DEBUG=1`, so that users see causes, not internals.
 * @param name - the CLI's name as typed (`send-data`), used to prefix messages
 * @param main - the CLI's body; it may set `process.exitCode` itself and resolve
 * @param helpCommand - how the user asks for help, for the usage hint (default `util/<name> --help`)
 */
export async function runCli(
  name: string,
  main: () => Promise<void>,
  helpCommand = `util/${name} --help`,
): Promise<void> {
  // `util/tail-logs | head`: the reader left, which is how such a pipeline ends, not an error.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0);
    throw error;
  });
  try {
    await main();
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${name}: ${error.message}\nRun '${helpCommand}' for usage.\n`);
      process.exitCode = 2;
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${name}: ${oneLine(message)}\n`);
    if (!(error instanceof CliError) && process.env.FANOUT_DEBUG === "1" && error instanceof Error) {
      process.stderr.write(`${error.stack}\n`);
    }
    process.exitCode = 1;
  }
}

/** Collapses a multi-line message (the SDK and terraform write some) into one line. */
function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, " ").trim();
}

/** What a finished process left: its exit code (null when a signal ended it), that signal, and all it printed. */
export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a program to completion with stdin closed, collecting its output. Rejects only when it cannot start (a
 * missing binary is an `ENOENT` error); a non-zero exit is a result, for the caller to judge.
 * @param command - the program
 * @param args - its arguments
 * @param options - where it runs, its environment and, optionally, how long it may run before `killSignal` (default
 *   SIGTERM) is sent to it
 */
export function runToEnd(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeout?: number; killSignal?: NodeJS.Signals },
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
