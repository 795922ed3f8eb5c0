import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type CryptoKey, exportJWK, generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CLOCK_TOLERANCE_SECONDS,
  createTokenVerifier,
  hs256KeySource,
  jwksKeySource,
  type TokenVerifier,
} from "../../../src/auth/tokens.js";
import { MAX_TOKEN_LENGTH } from "../../../src/contract/index.js";

const SECRET = "a-test-secret-that-is-long-enough-for-hs256!";
const OTHER_SECRET = "another-test-secret-also-long-enough-for-hs256";
const NOW = new Date("2030-01-01T00:00:00Z");
const NOW_S = NOW.getTime() / 1000;

let verify: TokenVerifier;
beforeAll(async () => {
  verify = createTokenVerifier(await hs256KeySource(SECRET), { now: () => NOW });
});

/** A token signed with `secret`, with the claims given (defaults: sub alice, exp in an hour). */
async function sign(
  claims: Record<string, unknown> = {},
  options: { secret?: string; alg?: string } = {},
): Promise<string> {
  return new SignJWT({ sub: "alice", iat: NOW_S, exp: NOW_S + 3600, ...claims })
    .setProtectedHeader({ alg: options.alg ?? "HS256", typ: "JWT" })
    .sign(new TextEncoder().encode(options.secret ?? SECRET));
}

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

describe("verifying tokens", () => {
  it("accepts a valid token and returns its subject, expiry and rights", async () => {
    // Prepare
    const token = await sign({ fanout: { broadcast: true, subscribe: ["news/*"] } });
    // Act
    const result = await verify(token);
    // Assess
    expect(result).toEqual({
      ok: true,
      value: {
        sub: "alice",
        exp: NOW_S + 3600,
        rights: { broadcast: true, subscribe: ["news/*"], publish: [] },
      },
    });
  });

  it("accepts a token without a fanout claim, with no rights", async () => {
    const result = await verify(await sign());
    expect(result.ok && result.value.rights).toEqual({ broadcast: false, subscribe: [], publish: [] });
  });

  it.each([
    ["no token", undefined, "missing"],
    ["an empty token", "", "missing"],
    ["one that is not a JWT", "not-a-jwt", "malformed"],
    ["two parts only", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0", "malformed"],
    [
      "a header that is not JSON",
      `${Buffer.from("{oops").toString("base64url")}.${b64url({ sub: "a" })}.c2ln`,
      "malformed",
    ],
    ["a very long token", "a".repeat(MAX_TOKEN_LENGTH + 1), "too_long"],
  ])("refuses %s as %s", async (_name, token, reason) => {
    // Act
    const result = await verify(token);
    // Assess
    expect(result).toEqual({ ok: false, error: { reason } });
  });

  it("refuses a long but otherwise valid token before verifying it", async () => {
    // Prepare: a correctly signed token just over the cap
    const token = await sign({ padding: "x".repeat(MAX_TOKEN_LENGTH) });
    // Act
    const result = await verify(token);
    // Assess
    expect(token.length).toBeGreaterThan(MAX_TOKEN_LENGTH);
    expect(result).toEqual({ ok: false, error: { reason: "too_long" } });
  });

  it("refuses a token signed with another secret", async () => {
    const result = await verify(await sign({}, { secret: OTHER_SECRET }));
    expect(result).toEqual({ ok: false, error: { reason: "bad_signature" } });
  });

  it("refuses a token whose payload was changed after signing", async () => {
    // Prepare: swap the payload of a valid token for one that grants broadcast
    const [header, , signature] = (await sign()).split(".");
    const forged = `${header}.${b64url({ sub: "mallory", exp: NOW_S + 3600, fanout: { broadcast: true } })}.${signature}`;
    // Act
    const result = await verify(forged);
    // Assess
    expect(result).toEqual({ ok: false, error: { reason: "bad_signature" } });
  });

  it("refuses alg none, with or without a signature", async () => {
    // Prepare
    const unsigned = `${b64url({ alg: "none", typ: "JWT" })}.${b64url({ sub: "mallory", exp: NOW_S + 3600 })}.`;
    const withSignature = `${unsigned}c2ln`;
    // Act
    const results = [await verify(unsigned), await verify(withSignature)];
    // Assess
    expect(results).toEqual([
      { ok: false, error: { reason: "wrong_algorithm" } },
      { ok: false, error: { reason: "wrong_algorithm" } },
    ]);
  });

  it("refuses HS512 even when signed with the right secret", async () => {
    const result = await verify(await sign({}, { alg: "HS512" }));
    expect(result).toEqual({ ok: false, error: { reason: "wrong_algorithm" } });
  });

  it("refuses an RS256 header against the HMAC secret", async () => {
    // Prepare: the classic confusion, a token claiming RS256 with an HMAC made from the secret
    const [, payload, signature] = (await sign()).split(".");
    const token = `${b64url({ alg: "RS256", typ: "JWT" })}.${payload}.${signature}`;
    // Act
    const result = await verify(token);
    // Assess
    expect(result).toEqual({ ok: false, error: { reason: "wrong_algorithm" } });
  });

  it.each([
    ["sub", { sub: undefined }],
    ["exp", { exp: undefined }],
  ])("refuses a token without %s", async (_claim, claims) => {
    const result = await verify(await sign(claims));
    expect(result).toEqual({ ok: false, error: { reason: "missing_claims" } });
  });

  it.each([
    ["a numeric sub", { sub: 42 }],
    ["an empty sub", { sub: "" }],
    ["a sub over 256 characters", { sub: "x".repeat(257) }],
    ["a string exp", { exp: String(NOW_S + 3600) }],
    ["a fanout claim that is a string", { fanout: "all" }],
    ["a fanout broadcast that is not a boolean", { fanout: { broadcast: "yes" } }],
    ["a fanout pattern that is invalid", { fanout: { publish: ["news//x"] } }],
  ])("refuses %s as invalid claims", async (_name, claims) => {
    const result = await verify(await sign(claims));
    expect(result).toEqual({ ok: false, error: { reason: "invalid_claims" } });
  });

  describe("clock skew", () => {
    const tolerance = CLOCK_TOLERANCE_SECONDS;

    it.each([
      ["expired within the tolerance", { exp: NOW_S - tolerance + 1 }, true],
      ["expired beyond the tolerance", { exp: NOW_S - tolerance - 1 }, "expired"],
      ["not yet valid within the tolerance", { nbf: NOW_S + tolerance - 1 }, true],
      ["not yet valid beyond the tolerance", { nbf: NOW_S + tolerance + 1 }, "not_yet_valid"],
    ])("a token %s", async (_name, claims, expected) => {
      // Act
      const result = await verify(await sign(claims));
      // Assess
      expect(result.ok ? true : result.error.reason).toBe(expected);
    });
  });

  it("refuses a secret shorter than 32 bytes at start-up", async () => {
    await expect(hs256KeySource("short")).rejects.toThrow(/at least 32 bytes/);
  });
});

describe("verifying tokens from an external issuer (JWKS)", () => {
  let server: Server;
  let url: string;
  let requests = 0;
  let privateKey: CryptoKey;
  const issuer = "https://issuer.example.com/pool";

  beforeAll(async () => {
    const pair = await generateKeyPair("ES256");
    privateKey = pair.privateKey as CryptoKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256", use: "sig" };
    server = createServer((request, response) => {
      requests++;
      if (request.url === "/broken") {
        response.writeHead(500).end();
        return;
      }
      response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  async function signEs256(claims: Record<string, unknown>, kid = "k1"): Promise<string> {
    return new SignJWT({ sub: "alice", iss: issuer, iat: NOW_S, exp: NOW_S + 600, ...claims })
      .setProtectedHeader({ alg: "ES256", kid })
      .sign(privateKey);
  }

  it("accepts a token signed by the issuer's key, fetching the key set once", async () => {
    // Prepare
    const verifyJwks = createTokenVerifier(jwksKeySource({ url: `${url}/jwks.json`, issuer }), {
      now: () => NOW,
    });
    const before = requests;
    // Act
    const first = await verifyJwks(await signEs256({ fanout: { broadcast: true } }));
    const second = await verifyJwks(await signEs256({}));
    // Assess
    expect(first.ok && first.value.rights.broadcast).toBe(true);
    expect(second.ok).toBe(true);
    expect(requests - before).toBe(1);
  });

  it("refuses another issuer, an unknown key id, and an HS256 token", async () => {
    // Prepare
    const verifyJwks = createTokenVerifier(jwksKeySource({ url: `${url}/jwks.json`, issuer }), {
      now: () => NOW,
    });
    // Act
    const results = [
      await verifyJwks(await signEs256({ iss: "https://evil.example.com" })),
      await verifyJwks(await signEs256({}, "unknown")),
      await verifyJwks(await sign()),
    ];
    // Assess
    expect(results.map((result) => (result.ok ? "ok" : result.error.reason))).toEqual([
      "invalid_claims",
      "bad_signature",
      "wrong_algorithm",
    ]);
  });

  it("reports an issuer whose key set cannot be fetched as unavailable, not as the client's fault", async () => {
    // Prepare
    const verifyJwks = createTokenVerifier(jwksKeySource({ url: `${url}/broken`, issuer }), {
      now: () => NOW,
    });
    // Act
    const result = await verifyJwks(await signEs256({}));
    // Assess
    expect(result).toEqual({ ok: false, error: { failure: "key_unavailable" } });
  });
});
