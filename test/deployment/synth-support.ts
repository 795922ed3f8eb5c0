import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { zipSync } from "fflate";
import { type SynthResult, synthesize } from "../../deployment/synth.js";

/** A stack synthesized into a temporary folder, as `npm run synth` writes it. */
export interface TestSynth extends SynthResult {
  /** The temporary folder (remove it after the tests). */
  workDir: string;
  /** The stand-in zip's `source_code_hash` (base64 SHA-256). */
  sourceCodeHash: string;
}

/**
 * Synthesizes the stack with a small valid zip standing in for the real bundle (the stack only copies and hashes
 * it; test/deployment/bundle.test.ts covers the real one).
 * @param prefix - the temporary folder's name prefix
 */
export function synthesizeForTest(prefix: string): TestSynth {
  const workDir = mkdtempSync(join(tmpdir(), prefix));
  const zip = zipSync({
    "index.mjs": new TextEncoder().encode("export const handler = async () => ({});\n"),
  });
  const zipFile = join(workDir, "lambda.zip");
  writeFileSync(zipFile, zip);
  const sourceCodeHash = createHash("sha256").update(zip).digest("base64");
  const result = synthesize({ outDir: join(workDir, "cdktf.out"), bundle: { zipFile, sourceCodeHash } });
  return { ...result, workDir, sourceCodeHash };
}
