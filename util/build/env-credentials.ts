/**
 * What the Lambda bundle gets in place of `@aws-sdk/credential-provider-node` (see `lambda-bundle.ts`): the
 * environment-only provider. Lambda always hands the function its role's credentials in `AWS_ACCESS_KEY_ID`,
 * `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`, and the local stack passes the same variables, so the default
 * chain's other providers (SSO, INI files, web identity, IMDS, the login and process providers, and the nested
 * STS/SSO/OIDC/sign-in clients they pull in) are never reached there; they cost ~100 KB of bundle and their parse
 * time on every cold start.
 *
 * Only the export the SDK clients' `runtimeConfig` imports is provided, so a client that needs another one fails
 * the build instead of failing at run time.
 */
import { type FromEnvInit, fromEnv } from "@aws-sdk/credential-provider-env";

/**
 * The clients' `credentialDefaultProvider`: credentials from the environment, or a `CredentialsProviderError`
 * naming the missing variable.
 * @param init - the client's logger and parent config, passed through
 */
export function defaultProvider(init?: FromEnvInit): ReturnType<typeof fromEnv> {
  return fromEnv(init);
}
