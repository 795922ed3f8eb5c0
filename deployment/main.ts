import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parseArgs } from "node:util";
import { LAMBDA_ZIP_PATH } from "../src/contract/index.js";
import { REPO_ROOT, SYNTH_OUT_DIR } from "./paths.js";
import type { S3StateBackend } from "./stack.js";

const HELP = `Usage: npm run synth [-- --hcl]

Builds the Lambda bundle (dist/lambda.zip) and synthesizes the whole stack into cdktf.out/stacks/fanout/: plain
Terraform (cdk.tf.json, or cdk.tf with --hcl) plus its own copy of the zip. Then, in that folder:
terraform init && terraform apply.

Options:
  --hcl        write HCL (cdk.tf) instead of Terraform JSON; same as SYNTH_HCL_OUTPUT=true
  -h, --help   show this help

Environment:
  SYNTH_HCL_OUTPUT=true     same as --hcl
  FANOUT_STATE_BUCKET=NAME  keep the Terraform state in this S3 bucket instead of terraform.tfstate in the folder
  FANOUT_STATE_KEY=KEY      its object key (default fanout/terraform.tfstate)
  FANOUT_STATE_REGION=NAME  the state bucket's region (default: AWS_REGION, else us-east-1)`;

/** The S3 backend the environment asks for, if any. */
function s3BackendFromEnv(env: NodeJS.ProcessEnv): S3StateBackend | undefined {
  if (!env.FANOUT_STATE_BUCKET) return undefined;
  return {
    bucket: env.FANOUT_STATE_BUCKET,
    key: env.FANOUT_STATE_KEY || "fanout/terraform.tfstate",
    region: env.FANOUT_STATE_REGION || env.AWS_REGION || "us-east-1",
  };
}

/**
 * Builds the bundle with `util/lambda-build` (a separate program: `deployment/` and `util/` import nothing from each
 * other) and hashes the zip it wrote, as Terraform's `source_code_hash` (base64 SHA-256).
 */
function buildBundle(): { zipFile: string; zipBytes: number; sourceCodeHash: string } {
  // Its report (sizes, hash, cold import time) goes to the user as it is; a failure exits non-zero with its message.
  execFileSync(join(REPO_ROOT, "util", "lambda-build"), [], { stdio: ["ignore", "inherit", "inherit"] });
  const zipFile = join(REPO_ROOT, LAMBDA_ZIP_PATH);
  const zip = readFileSync(zipFile);
  return {
    zipFile,
    zipBytes: zip.byteLength,
    sourceCodeHash: createHash("sha256").update(zip).digest("base64"),
  };
}

/** Parses the arguments; a usage mistake exits 2 with a pointer to --help. */
function parseCommandLine(): { hcl?: boolean; help?: boolean } {
  try {
    return parseArgs({
      options: { hcl: { type: "boolean" }, help: { type: "boolean", short: "h" } },
      allowPositionals: false,
      strict: true,
    }).values;
  } catch (error) {
    process.stderr.write(`synth: ${(error as Error).message}\nRun 'npm run synth -- --help' for usage.\n`);
    process.exit(2);
  }
}

const values = parseCommandLine();
if (values.help) {
  process.stdout.write(`${HELP}\n`);
} else {
  try {
    // Loaded only now: CDK Terrain and the provider bindings take seconds to import, --help and usage errors need neither.
    const { synthesize } = await import("./synth.js");
    const bundle = buildBundle();
    const s3Backend = s3BackendFromEnv(process.env);
    const result = synthesize({
      outDir: SYNTH_OUT_DIR,
      bundle,
      s3Backend,
      hcl: values.hcl || process.env.SYNTH_HCL_OUTPUT === "true",
    });
    const show = (path: string) => relative(process.cwd(), path) || ".";
    const lines = [
      `bundle   ${show(bundle.zipFile)}  ${(bundle.zipBytes / 1024).toFixed(1)} KiB  source_code_hash ${bundle.sourceCodeHash}`,
      `stack    ${show(result.stackFile)}`,
      `state    ${s3Backend ? `s3://${s3Backend.bucket}/${s3Backend.key} (${s3Backend.region})` : `${show(result.stackDir)}/terraform.tfstate`}`,
    ];
    if (result.stackFile.endsWith(".tf") && !result.formattedWith) {
      lines.push("note     neither terraform nor tofu is on PATH: cdk.tf is left unformatted");
    }
    lines.push("", `next     cd ${show(result.stackDir)} && terraform init && terraform apply`, "");
    process.stdout.write(lines.join("\n"));
  } catch (error) {
    // One line, no stack: the build has printed its own located errors; FANOUT_DEBUG=1 shows the stack.
    process.stderr.write(`synth: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}\n`);
    if (process.env.FANOUT_DEBUG === "1" && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    process.exitCode = 1;
  }
}
