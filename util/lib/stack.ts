import { readFile, stat } from "node:fs/promises";
import { relative, resolve } from "node:path";
import { LOCAL_OUTPUTS_PATH, type LocalStackOutputs, STACK_PATH } from "../../src/contract/index.js";
import { CliError, runToEnd, UsageError } from "./cli.js";
import { repoRoot } from "./repo.js";

/**
 * Overrides where `--local` looks for the local stack's outputs (default `<repo>/.local/outputs.json`), for a local
 * stack started with another state folder.
 */
const LOCAL_OUTPUTS_ENV = "FANOUT_LOCAL_OUTPUTS";

/** The hint for a missing deployment, shared by every message that needs it. */
const DEPLOY_HINT = `deploy first: npm run synth, then terraform init && terraform apply in ${STACK_PATH} (or use --local)`;
/** The hint for a missing local stack. */
const LOCAL_HINT = "run `npm start` first (in another terminal)";

/** Every key a stack may output: the Terraform ones and the local stack's extras. */
export type OutputName = keyof LocalStackOutputs;

/** The `parseArgs` options shared by every CLI that finds the stack; spread them into a CLI's own options. */
export const stackArgs = {
  local: { type: "boolean" },
  outputs: { type: "string" },
  env: { type: "string" },
  "stack-dir": { type: "string" },
} as const;

/** The help text of {@link stackArgs}, to append to a CLI's `--help`. */
export const STACK_HELP = `Finding the stack (default: \`terraform output -json\` in ${STACK_PATH}):
  --local            the local stack (\`npm start\`): reads ${LOCAL_OUTPUTS_PATH}
                     (or $${LOCAL_OUTPUTS_ENV}, or --outputs FILE)
  --outputs FILE     read the outputs from FILE: \`terraform output -json\` saved, or a flat {"name": "value"}
  --env NAME         the Terraform workspace (default: $TF_WORKSPACE, else the selected one)
  --stack-dir DIR    the synthesized stack folder (default: ${STACK_PATH})`;

/** How to find the stack, from the command line. */
export interface StackOptions {
  /** The local stack rather than AWS. */
  local?: boolean;
  /** An explicit outputs file. */
  outputs?: string;
  /** The Terraform workspace. */
  env?: string;
  /** The synthesized stack folder. */
  stackDir?: string;
}

/**
 * The stack named by a CLI's parsed {@link stackArgs}.
 * @param values - `parseArgs` values holding the stack flags
 */
export function stackFrom(values: {
  local?: boolean;
  outputs?: string;
  env?: string;
  "stack-dir"?: string;
}): Stack {
  return new Stack({
    local: values.local,
    outputs: values.outputs,
    env: values.env,
    stackDir: values["stack-dir"],
  });
}

/** What running `terraform` answered. */
interface TerraformResult {
  /** Exit code. */
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `terraform` with arguments in a folder; injectable so that tests can do without the binary. */
export type TerraformRunner = (
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
) => Promise<TerraformResult>;

/**
 * The outputs of one stack, read lazily and once: a CLI whose values all come from flags never touches
 * Terraform or the outputs file.
 */
export class Stack {
  private cached: Promise<Partial<Record<OutputName, string>>> | undefined;

  /**
   * @param options - how to find the stack (the CLI's flags)
   * @param runTerraform - how to run `terraform` (the real binary by default)
   */
  constructor(
    readonly options: StackOptions,
    private readonly runTerraform: TerraformRunner = spawnTerraform,
  ) {
    if (options.local && (options.env !== undefined || options.stackDir !== undefined)) {
      throw new UsageError(
        "--local cannot be combined with --env or --stack-dir (they select a Terraform stack)",
      );
    }
    if (options.outputs !== undefined && (options.env !== undefined || options.stackDir !== undefined)) {
      throw new UsageError("--outputs FILE replaces --env and --stack-dir: give one or the other");
    }
  }

  /** True for the local stack (`--local`). */
  get local(): boolean {
    return this.options.local === true;
  }

  /** Whether the outputs come from a file (`--outputs` or `--local`) rather than `terraform output`. */
  private get fromFile(): boolean {
    return this.options.outputs !== undefined || this.local;
  }

  /** Where the outputs come from, for messages: a path relative to the cwd, and the workspace if any. */
  describe(): string {
    if (this.fromFile) return display(this.outputsFile());
    const workspace = this.workspace();
    return `${display(this.stackDir())} (terraform output${workspace ? `, workspace ${workspace}` : ""})`;
  }

  /** All the outputs, read on first use. */
  all(): Promise<Partial<Record<OutputName, string>>> {
    this.cached ??= this.fromFile ? this.readFile() : this.readTerraform();
    return this.cached;
  }

  /**
   * One output, or a {@link CliError} that names it and says what to do.
   * @param name - the output's name
   */
  async require(name: OutputName): Promise<string> {
    const value = (await this.all())[name];
    if (value === undefined || value === "") {
      const fix = this.local ? "restart `npm start` with the current code" : "re-apply the current stack";
      throw new CliError(`output ${name} is missing from ${this.describe()}: ${fix}`);
    }
    return value;
  }

  private outputsFile(): string {
    if (this.options.outputs !== undefined) return resolve(this.options.outputs);
    return resolve(process.env[LOCAL_OUTPUTS_ENV] || resolve(repoRoot, LOCAL_OUTPUTS_PATH));
  }

  private stackDir(): string {
    return resolve(this.options.stackDir ?? resolve(repoRoot, STACK_PATH));
  }

  private workspace(): string | undefined {
    return this.options.env ?? (process.env.TF_WORKSPACE || undefined);
  }

  private async readFile(): Promise<Partial<Record<OutputName, string>>> {
    const file = this.outputsFile();
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        throw new CliError(
          this.options.outputs === undefined
            ? `no local stack outputs at ${display(file)}: ${LOCAL_HINT}`
            : `outputs file ${display(file)} does not exist`,
        );
      }
      throw new CliError(`cannot read ${display(file)}: ${(error as Error).message}`);
    }
    const outputs = parseOutputs(text, display(file));
    if (this.local && outputs.pid !== undefined && !processRuns(Number(outputs.pid))) {
      // A stack killed with SIGKILL (or a crash) leaves its outputs behind; its endpoints now refuse or, worse,
      // belong to something else.
      throw new CliError(
        `the local stack is not running (start it with npm start): ${display(file)} is left over`,
      );
    }
    return outputs;
  }

  private async readTerraform(): Promise<Partial<Record<OutputName, string>>> {
    const dir = this.stackDir();
    const isDir = await stat(dir).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!isDir) throw new CliError(`no synthesized stack in ${display(dir)}: ${DEPLOY_HINT}`);
    const workspace = this.workspace();
    const env: NodeJS.ProcessEnv = { ...process.env, TF_IN_AUTOMATION: "1" };
    if (workspace !== undefined) env.TF_WORKSPACE = workspace;
    const result = await this.runTerraform(["output", "-json", "-no-color"], dir, env);
    if (result.code !== 0) {
      throw new CliError(
        `terraform output failed in ${display(dir)} (${terraformError(result.stderr)}): ${DEPLOY_HINT}`,
      );
    }
    const outputs = parseOutputs(result.stdout, `terraform output in ${display(dir)}`);
    if (Object.keys(outputs).length === 0) {
      // An unknown workspace or a stack never applied both answer `{}` with exit code 0.
      throw new CliError(`no outputs in ${this.describe()}: ${DEPLOY_HINT}`);
    }
    return outputs;
  }
}

/**
 * Parses outputs in either shape a user may have: `terraform output -json` (`{"name": {"value": …}}`) or the local
 * stack's flat `{"name": "value"}`. Non-string values are ignored: every output the CLIs read is a string.
 * @param text - the JSON text
 * @param source - where it came from, for the error message
 */
export function parseOutputs(text: string, source: string): Partial<Record<OutputName, string>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError(`${source} is not JSON: expected the outputs as a JSON object`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new CliError(`${source} is not a JSON object of outputs`);
  }
  const outputs: Partial<Record<string, string>> = {};
  for (const [name, raw] of Object.entries(parsed)) {
    const value = typeof raw === "object" && raw !== null && "value" in raw ? raw.value : raw;
    if (typeof value === "string") outputs[name] = value;
  }
  return outputs;
}

/** The one line of terraform's stderr that says what went wrong (its `Error:` line), else its last line. */
function terraformError(stderr: string): string {
  const lines = stderr
    .split("\n")
    .map((line) => line.replace(/^[│╷╵\s]+/, "").trim())
    .filter((line) => line !== "");
  return lines.find((line) => line.startsWith("Error:")) ?? lines.at(-1) ?? "no error message";
}

/** Whether a process with this pid runs (EPERM: it does, as another user). */
function processRuns(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** A path as the user would type it from the cwd. */
function display(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === "" ? "." : rel.startsWith("..") ? path : rel;
}

/** Runs the real `terraform` binary; a missing binary becomes a {@link CliError} with the alternative. */
async function spawnTerraform(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<TerraformResult> {
  try {
    const { code, stdout, stderr } = await runToEnd("terraform", args, { cwd, env });
    return { code: code ?? 1, stdout, stderr };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    throw new CliError(
      "terraform is not on PATH: install it, or pass --outputs FILE (saved from `terraform output -json`)",
    );
  }
}
