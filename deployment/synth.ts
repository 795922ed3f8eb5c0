import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { App } from "cdktn";
import { STACK_NAME } from "./paths.js";
import { FanoutStack, type FanoutStackProps } from "./stack.js";

/** Options of {@link synthesize}. */
export interface SynthOptions extends FanoutStackProps {
  /** The synth output folder; the stack lands in `<outDir>/stacks/fanout`. */
  outDir: string;
  /** Write HCL (`cdk.tf`) instead of Terraform JSON (`cdk.tf.json`). */
  hcl?: boolean;
}

/** What {@link synthesize} wrote. */
export interface SynthResult {
  /** The stack folder: run `terraform` here. */
  stackDir: string;
  /** The Terraform file in it, `cdk.tf.json` or `cdk.tf`. */
  stackFile: string;
  /** For HCL: the binary that formatted it (`terraform` or `tofu`), or undefined when neither is on PATH. */
  formattedWith?: string;
}

/**
 * Synthesizes the stack (no CLI involved): plain Terraform that `terraform` and OpenTofu run as is, with its
 * own copy of the Lambda zip. The state files in the stack folder are left alone.
 * @param options - see {@link SynthOptions}
 */
export function synthesize(options: SynthOptions): SynthResult {
  const hcl = options.hcl ?? false;
  const stackDir = join(options.outDir, "stacks", STACK_NAME);
  // Terraform loads every *.tf and *.tf.json of the folder: the other format's file from an earlier synth would
  // declare everything twice.
  for (const stale of hcl ? ["cdk.tf.json"] : ["cdk.tf", "metadata.json"])
    rmSync(join(stackDir, stale), { force: true });

  // No stack traces: they would write this machine's absolute paths into the stack's metadata.
  const app = new App({ outdir: options.outDir, hclOutput: hcl, stackTraces: false });
  // CDK Terrain's stacks (like cdktf's before them) read SYNTH_HCL_OUTPUT from the environment, not from the App's hclOutput.
  const previous = process.env.SYNTH_HCL_OUTPUT;
  process.env.SYNTH_HCL_OUTPUT = String(hcl);
  try {
    new FanoutStack(app, STACK_NAME, { bundle: options.bundle, s3Backend: options.s3Backend });
  } finally {
    if (previous === undefined) delete process.env.SYNTH_HCL_OUTPUT;
    else process.env.SYNTH_HCL_OUTPUT = previous;
  }
  app.synth();

  const stackFile = join(stackDir, hcl ? "cdk.tf" : "cdk.tf.json");
  return hcl ? { stackDir, stackFile, formattedWith: tidyHcl(stackFile) } : { stackDir, stackFile };
}

/**
 * CDK Terrain writes HCL without indentation and with quoted `depends_on` references (deprecated syntax that Terraform
 * warns about). Unquotes those and formats the file with `terraform fmt` (or `tofu fmt`) when one is on PATH.
 * @returns the formatter used, or undefined when none was found
 */
function tidyHcl(file: string): string | undefined {
  const text = readFileSync(file, "utf8").replace(/depends_on = \[([^\]]*)\]/g, (list) =>
    list.replaceAll('"', ""),
  );
  writeFileSync(file, text);
  for (const binary of ["terraform", "tofu"]) {
    try {
      execFileSync(binary, ["fmt", "-list=false", file], { stdio: ["ignore", "ignore", "pipe"] });
      return binary;
    } catch (error) {
      // Not installed: try the next one. Installed but failed (the HCL does not parse): that is a bug to report.
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  return undefined;
}
