import { relative } from "node:path";
import { buildLambdaBundle } from "../util/build/lambda-bundle.js";
import { parseCliArgs, runCli } from "../util/lib/cli.js";
import { SYNTH_OUT_DIR } from "./paths.js";
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

await runCli(
  "synth",
  async () => {
    const { values } = parseCliArgs({
      options: { hcl: { type: "boolean" }, help: { type: "boolean", short: "h" } },
      allowPositionals: false,
    });
    if (values.help) {
      process.stdout.write(`${HELP}\n`);
      return;
    }

    // Loaded only now: CDK Terrain and the provider bindings take seconds to import, --help and usage errors need neither.
    const { synthesize } = await import("./synth.js");
    const bundle = await buildLambdaBundle();
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
  },
  "npm run synth -- --help",
);
