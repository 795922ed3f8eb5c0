import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SynthResult, synthesize } from "../../deployment/synth.js";
import { standInBundle } from "./support/synth.js";
import { TerraformJson } from "./support/terraform-json.js";

const terraformOnPath = spawnSync("terraform", ["version"], { stdio: "ignore" }).error === undefined;
if (!terraformOnPath) {
  // The one skip the project allows: say it where a person running the tests sees it.
  console.warn("SKIP terraform fmt -check on the HCL output: no terraform binary on PATH");
}

const STATE = '{"version":4,"serial":7,"outputs":{}}\n';

// Synthesized once for the file: JSON then HCL into one folder (holding a state file), and JSON with the S3 backend.
let workDir: string;
let outDir: string;
let json: SynthResult;
let jsonRoot: TerraformJson["root"];
let hcl: SynthResult;
let hclText: string;
let s3: TerraformJson;

beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), "fanout-synth-"));
  const bundle = {
    ...standInBundle(workDir, "export const handler = () => {};\n"),
    sourceCodeHash: "test-hash",
  };

  outDir = join(workDir, "cdktf.out");
  mkdirSync(join(outDir, "stacks", "fanout"), { recursive: true });
  writeFileSync(join(outDir, "stacks", "fanout", "terraform.tfstate"), STATE);
  json = synthesize({ outDir, bundle });
  jsonRoot = new TerraformJson(json.stackFile).root;
  hcl = synthesize({ outDir, bundle, hcl: true });
  hclText = readFileSync(hcl.stackFile, "utf8");

  const s3Result = synthesize({
    outDir: join(workDir, "s3.out"),
    bundle,
    s3Backend: { bucket: "my-state", key: "fanout/terraform.tfstate", region: "eu-west-1" },
  });
  s3 = new TerraformJson(s3Result.stackFile);
});

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

describe("HCL output", () => {
  it(terraformOnPath
    ? "passes terraform fmt -check"
    : "passes terraform fmt -check (SKIPPED: no terraform on PATH)", { skip: !terraformOnPath }, () => {
    // Prepare: synthesized in beforeAll
    // Act
    const check = spawnSync("terraform", ["fmt", "-check", "-diff", hcl.stackDir], { encoding: "utf8" });
    // Assess
    expect(check.stdout).toBe("");
    expect(check.status).toBe(0);
  });

  it("replaces the JSON file of an earlier synth and keeps the state file", () => {
    // Prepare: JSON then HCL into the same folder in beforeAll
    // Act
    const files = ["cdk.tf", "cdk.tf.json", "terraform.tfstate"].filter((f) =>
      existsSync(join(hcl.stackDir, f)),
    );
    // Assess
    expect(json.stackDir).toBe(hcl.stackDir);
    expect(files).toEqual(["cdk.tf", "terraform.tfstate"]);
    expect(readFileSync(join(hcl.stackDir, "terraform.tfstate"), "utf8")).toBe(STATE);
  });

  it("declares the same resources, data sources, variables and outputs as the JSON", () => {
    // Prepare
    const fromJson = jsonRoot;
    const expected = [
      ...Object.entries(fromJson.resource as Record<string, object>).flatMap(([type, blocks]) =>
        Object.keys(blocks).map((id) => `resource ${type} ${id}`),
      ),
      ...Object.entries(fromJson.data as Record<string, object>).flatMap(([type, blocks]) =>
        Object.keys(blocks).map((id) => `data ${type} ${id}`),
      ),
      ...Object.keys(fromJson.variable).map((name) => `variable ${name}`),
      ...Object.keys(fromJson.output).map((name) => `output ${name}`),
    ].sort();
    // Act
    const declared = [...hclText.matchAll(/^(resource|data|variable|output) "([^"]+)"(?: "([^"]+)")? \{/gm)]
      .map(([, kind, first, second]) => [kind, first, second].filter(Boolean).join(" "))
      .sort();
    // Assess
    expect(declared).toEqual(expected);
  });

  it("writes depends_on as references, names the provider hashicorp/aws and keeps the relative state path", () => {
    // Prepare: synthesized in beforeAll
    // Act
    const dependsOn = [...hclText.matchAll(/depends_on = \[([^\]]*)\]/g)].map(([, list]) => list);
    // Assess
    expect(dependsOn.length).toBeGreaterThan(0);
    for (const list of dependsOn) expect(list).not.toContain('"');
    expect(hclText).toMatch(/source\s+=\s+"hashicorp\/aws"/);
    expect(hclText).toMatch(/backend "local" \{\s+path = "terraform\.tfstate"/);
  });

  it("gives way to JSON again on the next JSON synth, identical to the first one elsewhere", () => {
    // Prepare
    const bundle = { zipFile: join(workDir, "lambda.zip"), sourceCodeHash: "test-hash" };
    const ownOutDir = join(workDir, "switch-back.out");
    synthesize({ outDir: ownOutDir, bundle, hcl: true });
    // Act
    const again = synthesize({ outDir: ownOutDir, bundle });
    // Assess
    expect(existsSync(again.stackFile)).toBe(true);
    expect(existsSync(join(again.stackDir, "cdk.tf"))).toBe(false);
    expect(existsSync(join(again.stackDir, "metadata.json"))).toBe(false);
    expect(new TerraformJson(again.stackFile).root).toEqual(jsonRoot);
  });
});

describe("S3 backend", () => {
  it("keeps the state encrypted in the given bucket, with S3-native locking", () => {
    // Prepare / Act: synthesized in beforeAll
    // Assess
    expect(s3.root.terraform.backend).toEqual({
      s3: {
        bucket: "my-state",
        key: "fanout/terraform.tfstate",
        region: "eu-west-1",
        encrypt: true,
        use_lockfile: true,
      },
    });
  });
});
