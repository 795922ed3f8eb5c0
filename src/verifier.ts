// Types only: the Secrets Manager client and jose (tokens.ts) are loaded on first use, so that the bundle's other
// routes never load or compile them (esbuild puts a dynamic import in a chunk of its own).
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { AuthConfig } from "./config.js";
import type { TokenVerifier } from "./tokens.js";

/** Reads a secret's string by ARN (Secrets Manager `GetSecretValue` on AWS; a fake in tests). */
export type SecretFetcher = (arn: string) => Promise<string>;

/**
 * Reads a secret with Secrets Manager `GetSecretValue`. The SDK client is loaded and made on first use, so that a
 * function in open mode, with an external issuer or with an inline secret never loads it, and the routes other than
 * the authorizer never do.
 * @param client - the Secrets Manager client (default: one for the function's region)
 */
export function secretsManagerFetcher(client?: SecretsManagerClient): SecretFetcher {
  return async (arn) => {
    const sdk = await import("./secrets-manager-sdk.js");
    client ??= new sdk.SecretsManagerClient({});
    const result = await client.send(new sdk.GetSecretValueCommand({ SecretId: arn }));
    if (typeof result.SecretString !== "string") {
      throw new Error("the token secret has no SecretString (a binary secret is not supported)");
    }
    return result.SecretString;
  };
}

/**
 * The token verifier of the configured key source, built on first use and then kept for the life of the execution
 * environment: the secret is read once per cold start, not per connection. A failed build (Secrets Manager
 * unreachable, a secret too short) is not kept, so the next connection tries again; meanwhile the authorizer answers
 * 500, never Allow. The verifier's code (jose) is loaded on that first use too: only the authorizer needs it.
 * @param auth - the auth configuration (token mode)
 * @param fetchSecret - how to read a secret by ARN
 * @returns a function giving the verifier, or `undefined` in open mode (no authorizer)
 */
export function lazyVerifier(
  auth: Pick<AuthConfig, "keySource">,
  fetchSecret: SecretFetcher,
): (() => Promise<TokenVerifier>) | undefined {
  const source = auth.keySource;
  if (source === undefined) return undefined;
  let built: Promise<TokenVerifier> | undefined;
  return () => {
    built ??= (async () => {
      const { createTokenVerifier, hs256KeySource, jwksKeySource } = await import("./tokens.js");
      if (source.kind === "jwks") {
        return createTokenVerifier(
          jwksKeySource({ url: source.url, issuer: source.issuer, audience: source.audience }),
        );
      }
      const secret = source.kind === "secret" ? source.secret : await fetchSecret(source.arn);
      return createTokenVerifier(await hs256KeySource(secret));
    })();
    built.catch(() => {
      built = undefined;
    });
    return built;
  };
}
