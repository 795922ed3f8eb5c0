import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { STACK_NAME, SYNTH_OUT_PATH } from "../src/contract/index.js";

/** The repository root (this file lives in `deployment/`), so that the synth writes there from any cwd. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export { STACK_NAME };

/** Where `npm run synth` writes (always under the repository, whatever the cwd). */
export const SYNTH_OUT_DIR = join(REPO_ROOT, SYNTH_OUT_PATH);
