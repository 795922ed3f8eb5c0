import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { accessSync, constants, mkdirSync, mkdtempSync, readdirSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { type ProcessResult, runToEnd } from "../../../util/lib/cli.js";
import { repoRoot } from "../../../util/lib/repo.js";

/** A CLI's name under `util/`. */
export type CliName = "send-data" | "connect" | "tail-logs" | "lambda-deploy" | "token" | "verify";

/** An empty folder for one test's files. */
export function tempDir(prefix = "fanout-cli-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Each PATH folder that holds websocat, and its stand-in: the same entries as symbolic links, websocat left out. */
const shadowFolders = new Map<string, string>();

/**
 * `path` with `name` taken out: each folder that holds an executable `name` is replaced by a folder of links to
 * everything else in it, so every other program (node, bash, terraform) is still found, in the same order.
 * @param name - the program to hide
 * @param path - a PATH value
 */
export function pathWithout(name: string, path: string): string {
  return path
    .split(delimiter)
    .map((folder) => {
      if (folder === "" || !isExecutable(join(folder, name))) return folder;
      let shadow = shadowFolders.get(folder);
      if (shadow === undefined) {
        shadow = join(tempDir("fanout-path-"), "bin");
        mkdirSync(shadow);
        for (const entry of readdirSync(folder))
          if (entry !== name) symlinkSync(join(folder, entry), join(shadow, entry));
        shadowFolders.set(folder, shadow);
      }
      return shadow;
    })
    .join(delimiter);
}

/** Whether a file exists and may be executed. */
export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The environment a CLI sees in tests: the caller's PATH without websocat (so `util/connect` runs its built-in client
 * whether or not websocat is installed; a test that wants websocat puts one first on PATH), and nothing that could reach a real stack or real
 * credentials: no AWS variables, a HOME without `~/.aws`, instance metadata off (it would wait on a network that is
 * not there), no Terraform workspace, and `--local` pointed at `localOutputs` (default: a file that does not exist,
 * so that a developer's running `npm start` never leaks into a test).
 */
export function cliEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(AWS_|TF_WORKSPACE$|FANOUT_)/.test(key)) env[key] = value;
  }
  return {
    ...env,
    PATH: pathWithout("websocat", process.env.PATH ?? ""),
    HOME: home,
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_CONFIG_FILE: join(home, "aws-config"),
    AWS_SHARED_CREDENTIALS_FILE: join(home, "aws-credentials"),
    FANOUT_LOCAL_OUTPUTS: join(home, "no-local-stack", "outputs.json"),
    NO_COLOR: "1",
    ...extra,
  };
}

/** A CLI started as a user would: `util/<name> args…` from the repository root. */
export class CliProcess {
  readonly child: ChildProcessWithoutNullStreams;
  stdout = "";
  stderr = "";
  /** Resolves when the process has exited and its output streams are closed. */
  readonly done: Promise<ProcessResult>;

  constructor(name: CliName, args: readonly string[], env: NodeJS.ProcessEnv, cwd = repoRoot) {
    this.child = spawn(join(repoRoot, "util", name), args, { cwd, env, stdio: "pipe" });
    this.child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      this.stdout += chunk;
    });
    this.child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      this.stderr += chunk;
    });
    this.done = new Promise((resolve) => {
      this.child.on("close", (code, signal) =>
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr }),
      );
    });
  }

  /** The stdout lines so far. */
  lines(): string[] {
    return this.stdout.split("\n").filter((line) => line !== "");
  }

  /**
   * Waits until stdout or stderr matches, or fails with what the process printed (so a failing test shows why).
   * @param stream - which output to watch
   * @param pattern - what to wait for
   * @param timeoutMs - how long at most
   */
  async waitFor(stream: "stdout" | "stderr", pattern: RegExp, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this[stream])) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`exited before ${stream} matched ${pattern}:\n${this.describe()}`);
      }
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${stream} ${pattern}:\n${this.describe()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Stops the process if it still runs (SIGKILL: cleanup must not depend on the CLI behaving). */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
    await this.done;
  }

  private describe(): string {
    return `stdout:\n${this.stdout}\nstderr:\n${this.stderr}`;
  }
}

/**
 * Runs a CLI to completion, feeding `input` on stdin (or closing stdin at once).
 * @param name - the CLI
 * @param args - its arguments
 * @param env - its environment (see {@link cliEnv})
 * @param input - what to write on stdin
 */
export async function runCliToEnd(
  name: CliName,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  input = "",
): Promise<ProcessResult> {
  const cli = new CliProcess(name, args, env);
  cli.child.stdin.end(input);
  return cli.done;
}

/**
 * Runs any command to completion with stdin closed (npm, node, a script), collecting its output.
 * @param command - the program
 * @param args - its arguments
 * @param env - its environment (see {@link cliEnv})
 * @param cwd - where it runs (default: the repository root)
 */
export function runCommand(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd = repoRoot,
): Promise<ProcessResult> {
  return runToEnd(command, args, { cwd, env });
}
