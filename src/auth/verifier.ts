// A type only: jose (tokens.ts) is loaded on first use, so that the bundle's other routes never load or compile it
// (esbuild puts a dynamic import in a chunk of its own).
import type { TokenVerifier } from "./tokens.js";

/** Where the authorizer gets its verification key: exactly one in token mode (`src/app/config.ts` reads it). */
export type KeySourceConfig =
  /** `TOKEN_SECRET_ARN`: the stack's HS256 secret in Secrets Manager (on AWS). */
  | { kind: "secret-arn"; arn: string }
  /** `TOKEN_SECRET`: the HS256 secret itself (the local stack). */
  | { kind: "secret"; secret: string }
  /** `TOKEN_JWKS_URL` + `TOKEN_ISSUER` (+ `TOKEN_AUDIENCE`): an external issuer's public keys. */
  | { kind: "jwks"; url: string; issuer: string; audience: string | undefined };

/** Reads a secret's string by ARN (Secrets Manager `GetSecretValue` on AWS, `src/aws/secrets.ts`; a fake in tests). */
export type SecretFetcher = (arn: string) => Promise<string>;

/**
 * The token verifier of the configured key source, built on first use and then kept for the life of the execution
 * environment: the secret is read once per cold start, not per connection. A failed build (Secrets Manager
 * unreachable, a secret too short) is not kept, so the next connection tries again; meanwhile the authorizer answers
 * 500, never Allow. The verifier's code (jose) is loaded on that first use too: only the authorizer needs it.
 * @param source - the key source (token mode), or undefined in open mode
 * @param fetchSecret - how to read a secret by ARN
 * @returns a function giving the verifier, or `undefined` in open mode (no authorizer)
 */
export function lazyVerifier(
  source: KeySourceConfig | undefined,
  fetchSecret: SecretFetcher,
): (() => Promise<TokenVerifier>) | undefined {
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
