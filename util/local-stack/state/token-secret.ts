import { randomBytes } from "node:crypto";
import { chmod, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { MIN_SECRET_BYTES } from "../../../src/contract/index.js";

/** The file in the state folder that holds the local stack's HS256 token secret. */
export const TOKEN_SECRET_FILE = "token-secret";

/**
 * The local stack's token secret: the one already in the state folder, so tokens minted before a restart stay
 * valid, or a new random one. The file is readable by its owner only (0600), like an SSH key; the CLIs read it
 * to mint tokens (`token_secret_file` output).
 * @param stateDir - the state folder
 * @returns the file's path and the secret
 */
export async function ensureTokenSecret(stateDir: string): Promise<{ path: string; secret: string }> {
  const path = join(stateDir, TOKEN_SECRET_FILE);
  const existing = await readFile(path, "utf8").then(
    (text) => text.trim(),
    () => undefined,
  );
  if (existing !== undefined && Buffer.byteLength(existing) >= MIN_SECRET_BYTES) {
    // Another tool may have widened it; the secret is as good as its file's permissions.
    await chmod(path, 0o600);
    return { path, secret: existing };
  }
  // 32 random bytes (the HMAC-SHA-256 block's security level), base64url: 43 characters, safe in any env file.
  const secret = randomBytes(32).toString("base64url");
  await writeFile(`${path}.tmp`, `${secret}\n`, { mode: 0o600 });
  await rename(`${path}.tmp`, path);
  return { path, secret };
}

/**
 * The token secret in the state folder now, or undefined when there is none (an open stack). Read again on every
 * call, so that a secret created after the caller started is seen.
 * @param stateDir - the state folder
 */
export async function readTokenSecret(stateDir: string): Promise<string | undefined> {
  const secret = await readFile(join(stateDir, TOKEN_SECRET_FILE), "utf8").catch(() => undefined);
  return secret?.trim() || undefined;
}
