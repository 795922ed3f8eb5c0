// A type only: the Secrets Manager client is loaded on the first secret read, in a chunk of its own.
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { SecretFetcher } from "../auth/verifier.js";

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
