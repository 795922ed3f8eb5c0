import { type CryptoKey, createRemoteJWKSet, type JWTVerifyGetKey, jwtVerify } from "jose";
import { MAX_SUBJECT_LENGTH, MAX_TOKEN_LENGTH, MIN_SECRET_BYTES } from "../contract/limits.js";
import type { Result } from "../contract/result.js";
import { RIGHTS_CLAIM, type Rights } from "../contract/rights.js";
import { parseRightsClaim } from "./rights.js";

/**
 * Why a token was refused. A small closed set, so that log lines can be counted and alarmed on; the token itself
 * is never logged.
 */
export type RefusalReason =
  /** Two or more `token` parameters in the URL: which one is meant is ambiguous, so none is. */
  | "duplicate"
  /** No token at all (an empty `?token=`). */
  | "missing"
  /** Longer than {@link MAX_TOKEN_LENGTH}: refused before any parsing. */
  | "too_long"
  /** Not a compact JWS, bad base64url, bad JSON, or a payload that is not an object. */
  | "malformed"
  /** `exp` is in the past (beyond the clock tolerance). */
  | "expired"
  /** `nbf` is in the future (beyond the clock tolerance). */
  | "not_yet_valid"
  /** The signature does not match the key, or (JWKS) no key has the token's `kid`. */
  | "bad_signature"
  /** The header's `alg` is not one the key source allows (`none`, HS512, RS256 against a secret, …). */
  | "wrong_algorithm"
  /** A required claim (`sub`, `exp`) is absent. */
  | "missing_claims"
  /** A claim has the wrong type or an unexpected value: `sub` not a string, `fanout` malformed, `iss`/`aud`. */
  | "invalid_claims";

/**
 * Why a token could not be checked at all: the key source failed (a JWKS URL that does not answer). Not the
 * client's fault, so the authorizer answers 500 rather than 401, and the client may retry.
 */
type VerifierFailure = "key_unavailable";

/** The verified claims the service uses. */
interface TokenClaims {
  /** Who: the `sub` claim. */
  sub: string;
  /** Expiry, seconds since the epoch. */
  exp: number;
  /** The rights of the `fanout` claim, validated; absent in the token means no rights. */
  rights: Rights;
}

/** Why a token was not accepted: the token's fault (`reason`), or the key source's (`failure`). */
type TokenRefusal =
  | { reason: RefusalReason; failure?: undefined }
  | { reason?: undefined; failure: VerifierFailure };

/** What verifying one token gives: its claims, or why not. */
type VerifyResult = Result<TokenClaims, TokenRefusal>;

/** Verifies one token. Never throws: every failure is a {@link VerifyResult}. */
export type TokenVerifier = (token: string | undefined) => Promise<VerifyResult>;

/**
 * Where the verification key comes from and which algorithms it allows. The algorithm list is part of the key
 * source on purpose: a verifier never takes the algorithm from the token's header alone (the `alg: none` and
 * HS256-with-a-public-key attacks).
 */
export interface KeySource {
  /** A key, or a function that picks one per token header (a JWKS). */
  key: CryptoKey | JWTVerifyGetKey;
  /** The allowed `alg` values. */
  algorithms: readonly string[];
  /** The required `iss`, if any (an external issuer's URL). */
  issuer?: string;
  /** The required `aud`, if any (an external issuer's client id). */
  audience?: string;
}

/** Tolerated clock difference between the issuer and Lambda, both for `exp` and for `nbf`. */
export const CLOCK_TOLERANCE_SECONDS = 30;

/**
 * The stack's own issuer: HS256 with a shared secret. The secret's UTF-8 bytes are the key, as PyJWT, jose and
 * jsonwebtoken all treat a string secret. The key is imported once, not per token.
 * @param secret - the secret as stored (Secrets Manager string, local state file)
 * @throws Error if the secret is shorter than {@link MIN_SECRET_BYTES} (a configuration error, at cold start)
 */
export async function hs256KeySource(secret: string | Uint8Array): Promise<KeySource> {
  const bytes = typeof secret === "string" ? new TextEncoder().encode(secret) : secret;
  if (bytes.byteLength < MIN_SECRET_BYTES) {
    throw new Error(`the token secret must be at least ${MIN_SECRET_BYTES} bytes, got ${bytes.byteLength}`);
  }
  const key = await crypto.subtle.importKey("raw", bytes, { name: "HMAC", hash: "SHA-256" }, false, [
    "verify",
  ]);
  return { key, algorithms: ["HS256"] };
}

/** An external issuer (Cognito, Auth0, any OIDC provider) described by its JWKS URL. */
export interface JwksOptions {
  /** The JWKS URL, e.g. `https://cognito-idp.<region>.amazonaws.com/<pool id>/.well-known/jwks.json`. */
  url: string;
  /** The issuer's `iss` value, required in every token (e.g. `https://cognito-idp.<region>.amazonaws.com/<pool id>`). */
  issuer: string;
  /** The expected `aud` (the app client id), if the issuer sets one. */
  audience?: string;
  /** Allowed algorithms; asymmetric only, so that a public key can never be used as an HMAC secret. */
  algorithms?: readonly ("RS256" | "ES256" | "PS256" | "EdDSA")[];
}

/**
 * An external issuer's public keys, fetched on first use and cached by jose (refetched on an unknown `kid`, at most
 * every 30 s), so a warm Lambda fetches nothing per connection.
 * @param options - the JWKS URL, issuer and audience
 */
export function jwksKeySource(options: JwksOptions): KeySource {
  return {
    key: createRemoteJWKSet(new URL(options.url), { timeoutDuration: 3000 }),
    algorithms: options.algorithms ?? ["RS256", "ES256"],
    issuer: options.issuer,
    audience: options.audience,
  };
}

/** Options of {@link createTokenVerifier}; the defaults are the service's limits. */
export interface VerifierOptions {
  /** Seconds of clock difference tolerated (default {@link CLOCK_TOLERANCE_SECONDS}). */
  clockToleranceSeconds?: number;
  /** Longest token accepted, in characters (default {@link MAX_TOKEN_LENGTH}). */
  maxTokenLength?: number;
  /** The current time, for tests. */
  now?: () => Date;
}

/**
 * Builds a verifier over a key source. jose checks the signature, `alg` against the allowed list, `exp`, `nbf`,
 * `iss` and `aud`; this adds the length cap, `sub`, and the `fanout` claim's shape.
 * @param source - the key and its algorithms
 * @param options - limits and clock
 */
export function createTokenVerifier(source: KeySource, options: VerifierOptions = {}): TokenVerifier {
  const maxLength = options.maxTokenLength ?? MAX_TOKEN_LENGTH;
  const clockTolerance = options.clockToleranceSeconds ?? CLOCK_TOLERANCE_SECONDS;
  return async (token) => {
    if (token === undefined || token === "") return refused("missing");
    if (typeof token !== "string") return refused("malformed");
    if (token.length > maxLength) return refused("too_long");
    let payload: Record<string, unknown>;
    try {
      const verified = await jwtVerify(token, source.key as CryptoKey, {
        algorithms: [...source.algorithms],
        clockTolerance,
        requiredClaims: ["sub", "exp"],
        issuer: source.issuer,
        audience: source.audience,
        currentDate: options.now?.(),
      });
      payload = verified.payload as Record<string, unknown>;
    } catch (error) {
      return refusal(error);
    }
    const { sub, exp } = payload;
    if (typeof sub !== "string" || sub === "" || sub.length > MAX_SUBJECT_LENGTH || typeof exp !== "number") {
      return refused("invalid_claims");
    }
    const rights = parseRightsClaim(payload[RIGHTS_CLAIM]);
    if (rights === undefined) return refused("invalid_claims");
    return { ok: true, value: { sub, exp, rights } };
  };
}

/** jose's error codes, mapped to the refusal reasons; anything unknown is a malformed token. */
const REASONS: Record<string, RefusalReason> = {
  ERR_JWT_EXPIRED: "expired",
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: "bad_signature",
  ERR_JWKS_NO_MATCHING_KEY: "bad_signature",
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: "bad_signature",
  ERR_JOSE_ALG_NOT_ALLOWED: "wrong_algorithm",
  ERR_JOSE_NOT_SUPPORTED: "wrong_algorithm",
  ERR_JWS_INVALID: "malformed",
  ERR_JWT_INVALID: "malformed",
};

function refusal(error: unknown): VerifyResult {
  const { code, claim, reason } = (error ?? {}) as { code?: unknown; claim?: unknown; reason?: unknown };
  if (code === "ERR_JWT_CLAIM_VALIDATION_FAILED") {
    if (reason === "missing") return refused("missing_claims");
    if (claim === "nbf" && reason === "check_failed") return refused("not_yet_valid");
    return refused("invalid_claims");
  }
  // The JWKS could not be fetched or parsed: the issuer's fault or the network's, not the client's.
  if (code === "ERR_JWKS_TIMEOUT" || code === "ERR_JWKS_INVALID" || code === "ERR_JOSE_GENERIC") {
    return unavailable();
  }
  if (typeof code === "string" && code in REASONS) return refused(REASONS[code] as RefusalReason);
  // A TypeError from a fetch that failed (JWKS host unreachable) is not the token's fault either.
  if (error instanceof TypeError && /fetch/i.test(error.message)) return unavailable();
  return refused("malformed");
}

function refused(reason: RefusalReason): VerifyResult {
  return { ok: false, error: { reason } };
}

function unavailable(): VerifyResult {
  return { ok: false, error: { failure: "key_unavailable" } };
}
