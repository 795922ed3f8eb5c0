/** Tokens as an issuer signs them, and the `$connect` authorizer event that carries one. */
import { SignJWT } from "jose";
import type { AuthorizerEvent } from "../../../src/sources/authorizer.js";
import { loadEvent } from "../../support/fixtures.js";

/** An HS256 secret long enough for the verifier. */
export const TEST_SECRET = "a-test-secret-that-is-long-enough-for-hs256!";

/**
 * An HS256 token for `alice`, issued now and valid for ten minutes unless the claims say otherwise.
 * @param claims - claims to add or override
 * @param options - the secret (default {@link TEST_SECRET}) and the time it is issued, in seconds
 */
export function signToken(
  claims: Record<string, unknown> = {},
  options: { secret?: string; nowSeconds?: number } = {},
): Promise<string> {
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  return new SignJWT({ sub: "alice", iat: now, exp: now + 600, ...claims })
    .setProtectedHeader({ alg: "HS256" })
    .sign(new TextEncoder().encode(options.secret ?? TEST_SECRET));
}

/**
 * authorizer_1.json carrying a token in its query string, or none.
 * @param token - the token; undefined leaves the query string empty
 */
export function authorizerEvent(token?: string): AuthorizerEvent {
  const event = loadEvent<AuthorizerEvent>("authorizer_1");
  event.queryStringParameters = token === undefined ? {} : { token };
  event.multiValueQueryStringParameters = token === undefined ? {} : { token: [token] };
  return event;
}
