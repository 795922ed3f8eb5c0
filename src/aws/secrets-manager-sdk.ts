/**
 * The part of the Secrets Manager SDK the token verifier uses, for `secrets.ts` to load with a dynamic `import()`
 * when it first reads the token secret. Importing the package itself dynamically would keep every export of its
 * index in the bundle (a namespace object's properties cannot be tree-shaken).
 */
export { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
