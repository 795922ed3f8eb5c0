import { join } from "node:path";
import { repoRoot } from "../util/lib/repo.js";

/** The stack's name: its folder under `cdktf.out/stacks/`. */
export const STACK_NAME = "fanout";

/** Where `npm run synth` writes (always under the repository, whatever the cwd). */
export const SYNTH_OUT_DIR = join(repoRoot, "cdktf.out");

/** The synthesized stack folder: run `terraform` here. Self-contained: it holds its own copy of the Lambda zip. */
export const STACK_DIR = join(SYNTH_OUT_DIR, "stacks", STACK_NAME);
