import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * Whether a `terraform` binary is on PATH. Where it is, tests read outputs through a real `terraform output -json`;
 * where it is not, through the same outputs saved to a file (`--outputs`), so that the test still runs.
 */
export const hasTerraform = spawnSync("terraform", ["version"], { stdio: "ignore" }).status === 0;

/**
 * Writes a Terraform state file holding only outputs, as `terraform apply` leaves it: enough for
 * `terraform output -json` without providers or `terraform init`.
 * @param dir - the stack folder
 * @param outputs - output name to string value
 * @param workspace - a workspace other than `default` (its state lives in `terraform.tfstate.d/<name>/`)
 */
export function writeState(dir: string, outputs: Record<string, string>, workspace?: string): void {
  const stateDir = workspace ? join(dir, "terraform.tfstate.d", workspace) : dir;
  mkdirSync(stateDir, { recursive: true });
  const state = {
    version: 4,
    terraform_version: "1.11.0",
    serial: 1,
    lineage: "00000000-0000-0000-0000-000000000000",
    outputs: Object.fromEntries(
      Object.entries(outputs).map(([name, value]) => [name, { value, type: "string" }]),
    ),
    resources: [],
  };
  writeFileSync(join(stateDir, "terraform.tfstate"), JSON.stringify(state));
}

/**
 * The same outputs in the shape `terraform output -json` prints, for `--outputs FILE`.
 * @param file - where to write
 * @param outputs - output name to string value
 */
export function writeTerraformOutputsFile(file: string, outputs: Record<string, string>): void {
  const json = Object.fromEntries(
    Object.entries(outputs).map(([name, value]) => [name, { sensitive: false, type: "string", value }]),
  );
  writeFileSync(file, JSON.stringify(json, null, 2));
}
