// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Terraform expressions.
/** The stack synthesized once per test file into a temporary folder, over a small stand-in for the bundle. */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { zipSync } from "fflate";
import { afterAll, beforeAll } from "vitest";
import { synthesize } from "../../../deployment/synth.js";
import { TerraformJson } from "./terraform-json.js";

/** The account's partition, as the stack refers to it. */
export const PARTITION = "${data.aws_partition.partition.partition}";

/** The account id, as the stack refers to it. */
export const ACCOUNT = "${data.aws_caller_identity.caller.account_id}";

/**
 * Writes a small valid zip that stands in for the real bundle (the stack only copies and hashes it; the real one is
 * `bundle.test.ts`'s).
 * @param dir - where to write `lambda.zip`
 * @param source - the text of its `index.mjs`
 */
export function standInBundle(
  dir: string,
  source = "export const handler = async () => ({});\n",
): { zipFile: string; sourceCodeHash: string } {
  const zip = zipSync({ "index.mjs": new TextEncoder().encode(source) });
  const zipFile = join(dir, "lambda.zip");
  writeFileSync(zipFile, zip);
  return { zipFile, sourceCodeHash: createHash("sha256").update(zip).digest("base64") };
}

/**
 * What an alarm on a dead-letter queue looks like: it fires on the first visible message and notifies the given
 * actions (`deployment/constructs/queue-alarm.ts`).
 * @param tf - the synthesized stack
 * @param queuePath - the queue's construct path
 * @param alarmActions - the Terraform expression of the actions
 */
export function queueAlarmOf(
  tf: TerraformJson,
  queuePath: string,
  alarmActions: string,
): Record<string, unknown> {
  return {
    namespace: "AWS/SQS",
    metric_name: "ApproximateNumberOfMessagesVisible",
    dimensions: { QueueName: tf.ref("aws_sqs_queue", queuePath, "name") },
    comparison_operator: "GreaterThanThreshold",
    threshold: 0,
    alarm_actions: alarmActions,
  };
}

/** What {@link synthesizedStack} gives, once its `beforeAll` has run. */
export interface SynthesizedStack {
  /** The synthesized `cdk.tf.json`. */
  tf: TerraformJson;
  /** The stack folder. */
  stackDir: string;
  /** The temporary folder that holds everything. */
  workDir: string;
  /** The stand-in zip's `source_code_hash`. */
  zipHash: string;
}

/**
 * Synthesizes the stack once for the calling test file (synthesis is the slow part; every test reads the same
 * `cdk.tf.json`) and removes it afterwards. Call it once, at the top of the file; read the fields in tests.
 */
export function synthesizedStack(): SynthesizedStack {
  const stack = {} as SynthesizedStack;
  beforeAll(() => {
    stack.workDir = mkdtempSync(join(tmpdir(), "fanout-stack-"));
    const bundle = standInBundle(stack.workDir);
    const result = synthesize({ outDir: join(stack.workDir, "cdktf.out"), bundle });
    stack.stackDir = result.stackDir;
    stack.tf = new TerraformJson(result.stackFile);
    stack.zipHash = bundle.sourceCodeHash;
  });
  afterAll(() => {
    rmSync(stack.workDir, { recursive: true, force: true });
  });
  return stack;
}
