import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file lives in `util/lib/`), so that tools work from any working directory. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
