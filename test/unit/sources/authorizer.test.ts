import { PutObjectCommand } from "@aws-sdk/client-s3";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { rightsFromContext } from "../../../src/auth/rights.js";
import { createTokenVerifier, hs256KeySource, type TokenVerifier } from "../../../src/auth/tokens.js";
import { secretsManagerFetcher } from "../../../src/aws/secrets.js";
import {
  type AuthorizeDependencies,
  type AuthorizerEvent,
  authorize,
  authorizerResult,
  UnauthorizedError,
} from "../../../src/sources/authorizer.js";
import { mockAws } from "../support/aws.js";
import { context, setupHandler } from "../support/handler.js";
import { RecordingLog } from "../support/log.js";
import { authorizerEvent, signToken, TEST_SECRET } from "../support/tokens.js";

const aws = mockAws();
const NOW = new Date("2030-01-01T00:00:00Z");
const NOW_S = NOW.getTime() / 1000;
const METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:abcdef123/primary/$connect";
const SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:fanout-prod-token-AbCdEf";

let verify: TokenVerifier;
beforeAll(async () => {
  verify = createTokenVerifier(await hs256KeySource(TEST_SECRET), { now: () => NOW });
});
beforeEach(() => {
  aws.secrets.on(GetSecretValueCommand).resolves({ SecretString: TEST_SECRET });
});

/** A token issued at {@link NOW}, what the verifier of these tests takes as the current time. */
function sign(claims: Record<string, unknown>): Promise<string> {
  return signToken(claims, { nowSeconds: NOW_S });
}

function deps(log: RecordingLog, extra: Partial<AuthorizeDependencies> = {}): AuthorizeDependencies {
  return { verify, log, ...extra };
}

/** The handler in token mode over a Secrets Manager secret (the SDK clients mocked), as deployed. */
function setupTokenHandler(env: Record<string, string> = {}) {
  return setupHandler(
    { TOKEN_SECRET_ARN: SECRET_ARN, ...env },
    secretsManagerFetcher(new SecretsManagerClient({ region: "us-east-1" })),
  );
}

describe("the $connect authorizer", () => {
  it("allows a valid token on the connect method, passing sub and rights on", async () => {
    // Prepare
    const log = new RecordingLog();
    const token = await sign({ fanout: { broadcast: true, subscribe: ["news/*"] } });
    // Act
    const outcome = await authorize(deps(log), authorizerEvent(token));
    // Assess
    expect(outcome).toEqual({
      kind: "allow",
      response: {
        principalId: "alice",
        policyDocument: {
          Version: "2012-10-17",
          Statement: [{ Action: "execute-api:Invoke", Effect: "Allow", Resource: METHOD_ARN }],
        },
        context: { sub: "alice", fanout: '{"broadcast":true,"subscribe":["news/*"],"publish":[]}' },
      },
    });
    expect(log.find("connection authorized")).toHaveLength(1);
  });

  it("hands later events the same rights through the context", async () => {
    // Prepare: what API Gateway puts in requestContext.authorizer of every later event
    const outcome = await authorize(
      deps(new RecordingLog()),
      authorizerEvent(await sign({ fanout: { publish: ["a/**"] } })),
    );
    const context =
      outcome.kind === "allow" ? { principalId: "alice", ...outcome.response.context } : undefined;
    // Act
    const rights = rightsFromContext(context, "token");
    // Assess
    expect(rights).toEqual({ broadcast: false, subscribe: [], publish: ["a/**"] });
  });

  it.each([
    ["no token", undefined, "missing"],
    ["an expired token", "expired", "expired"],
    ["a malformed token", "abc.def", "malformed"],
  ])("answers Unauthorized to %s, logging the reason but not the token", async (_name, kind, reason) => {
    // Prepare
    const log = new RecordingLog();
    const token = kind === "expired" ? await sign({ exp: NOW_S - 3600 }) : kind;
    // Act
    const outcome = await authorize(deps(log), authorizerEvent(token));
    // Assess
    expect(outcome).toEqual({ kind: "unauthorized", reason });
    const [line] = log.find("connection refused: token not accepted");
    expect(line?.attributes).toMatchObject({ reason, tokenLength: token?.length ?? 0 });
    expect(JSON.stringify(log.lines)).not.toContain(token ?? "\u0000");
  });

  it("answers Unauthorized to a URL with two tokens, whichever is valid: API Gateway passes the last as the one", async () => {
    // Prepare: ?token=BAD&token=GOOD, as API Gateway hands it over (authorizer_1.json edited)
    const log = new RecordingLog();
    const good = await sign({ fanout: { broadcast: true } });
    const event = authorizerEvent(good);
    event.multiValueQueryStringParameters = { token: ["BAD", good] };

    // Act
    const outcome = await authorize(deps(log), event);

    // Assess
    expect(outcome).toEqual({ kind: "unauthorized", reason: "duplicate" });
    expect(log.find("connection refused: token not accepted")[0]?.attributes).toMatchObject({
      reason: "duplicate",
      tokenCount: 2,
    });
  });

  it("survives a hostile event without a query string or headers", async () => {
    // Prepare
    const event = {
      type: "REQUEST",
      methodArn: METHOD_ARN,
      queryStringParameters: null,
      headers: null,
    } as AuthorizerEvent;
    // Act
    const outcome = await authorize(
      deps(new RecordingLog(), { allowedOrigins: ["https://a.example"] }),
      event,
    );
    // Assess
    expect(outcome).toEqual({ kind: "unauthorized", reason: "missing" });
  });

  it("denies (403) an Origin outside the allow-list, even with a valid token", async () => {
    // Prepare: the fixture's Origin is https://app.example.com
    const log = new RecordingLog();
    const event = authorizerEvent(await sign({}));
    // Act
    const outcome = await authorize(deps(log, { allowedOrigins: ["https://other.example.com"] }), event);
    // Assess
    expect(outcome.kind).toBe("deny");
    expect(outcome.kind === "deny" && outcome.response.policyDocument.Statement[0].Effect).toBe("Deny");
    expect(log.find("connection refused: origin not allowed")[0]?.attributes).toMatchObject({
      origin: "https://app.example.com",
    });
  });

  it("allows a listed Origin", async () => {
    const event = authorizerEvent(await sign({}));
    const outcome = await authorize(
      deps(new RecordingLog(), { allowedOrigins: ["https://app.example.com"] }),
      event,
    );
    expect(outcome.kind).toBe("allow");
  });

  it("reports a key source that failed as unavailable", async () => {
    // Prepare
    const log = new RecordingLog();
    const failing: TokenVerifier = async () => ({ ok: false, error: { failure: "key_unavailable" } });
    // Act
    const outcome = await authorize(deps(log, { verify: failing }), authorizerEvent("x.y.z"));
    // Assess
    expect(outcome).toEqual({ kind: "unavailable" });
    expect(log.find("cannot verify tokens: the key source failed")).toHaveLength(1);
  });
});

describe("the authorizer's Lambda result", () => {
  it("returns the policy for allow and deny", async () => {
    const outcome = await authorize(deps(new RecordingLog()), authorizerEvent(await sign({})));
    expect(authorizerResult(outcome)).toEqual(outcome.kind === "allow" ? outcome.response : undefined);
  });

  it("throws exactly 'Unauthorized' for a refused token, which API Gateway maps to 401", () => {
    // Act
    const act = () => authorizerResult({ kind: "unauthorized", reason: "expired" });
    // Assess
    expect(act).toThrow(UnauthorizedError);
    expect(act).toThrow(/^Unauthorized$/);
  });

  it("throws another error for an unavailable key source, which API Gateway maps to 500", () => {
    expect(() => authorizerResult({ kind: "unavailable" })).toThrow("token verification unavailable");
  });
});

describe("the $connect authorizer in the handler", () => {
  it("is recognised before the $connect event it resembles, and allows a valid token with its rights", async () => {
    // Prepare
    const { handler } = setupTokenHandler();
    const token = await signToken({ fanout: { broadcast: true } });

    // Act
    const result = await handler(authorizerEvent(token), context);

    // Assess: a policy, not a stored connection
    expect(result).toMatchObject({
      principalId: "alice",
      policyDocument: { Statement: [{ Effect: "Allow", Resource: authorizerEvent().methodArn }] },
      context: { sub: "alice", fanout: JSON.stringify({ broadcast: true, subscribe: [], publish: [] }) },
    });
    expect(aws.s3.commandCalls(PutObjectCommand)).toEqual([]);
    expect(aws.secrets.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({
      SecretId: SECRET_ARN,
    });
  });

  it("reads the secret once per execution environment", async () => {
    // Prepare
    const { handler } = setupTokenHandler();
    const token = await signToken({});

    // Act
    await handler(authorizerEvent(token), context);
    await handler(authorizerEvent(token), context);

    // Assess
    expect(aws.secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it.each([
    [
      "a token signed with another secret",
      () => signToken({}, { secret: "another-secret-that-is-long-enough-for-hs256" }),
    ],
    ["an expired token", () => signToken({ exp: Math.floor(Date.now() / 1000) - 3600 })],
    ["an empty token", async () => ""],
  ])(
    "throws Unauthorized (API Gateway: 401) for %s, logging the reason but not the token",
    async (_, make) => {
      // Prepare
      const { handler, log } = setupTokenHandler();
      const token = await make();

      // Act
      const failure = await handler(authorizerEvent(token), context).catch((error: unknown) => error);

      // Assess
      expect((failure as Error).message).toBe("Unauthorized");
      expect(log.lines.some((line) => line.message === "connection refused: token not accepted")).toBe(true);
      if (token !== "") expect(JSON.stringify(log.lines)).not.toContain(token);
    },
  );

  it("fails with another error (API Gateway: 500) while the secret cannot be read, and reads it again next time", async () => {
    // Prepare
    const { handler, log } = setupTokenHandler();
    aws.secrets
      .on(GetSecretValueCommand)
      .rejectsOnce(new Error("throttled"))
      .resolves({ SecretString: TEST_SECRET });
    const token = await signToken({});

    // Act
    const failure = await handler(authorizerEvent(token), context).catch((error: unknown) => error);
    const retried = await handler(authorizerEvent(token), context);

    // Assess
    expect((failure as Error).message).not.toBe("Unauthorized");
    expect(log.lines.some((line) => line.message.includes("reading the token secret failed"))).toBe(true);
    expect(retried).toMatchObject({ policyDocument: { Statement: [{ Effect: "Allow" }] } });
  });

  it("denies (API Gateway: 403) an Origin outside the allow-list", async () => {
    // Prepare
    const { handler } = setupTokenHandler({ ALLOWED_ORIGINS: "https://other.example.com" });

    // Act
    const result = await handler(authorizerEvent(await signToken({})), context);

    // Assess
    expect(result).toMatchObject({ policyDocument: { Statement: [{ Effect: "Deny" }] } });
  });

  it("refuses an authorizer event of another API", async () => {
    // Prepare
    const { handler } = setupTokenHandler({ EXPECTED_API_ID: "zzzzzzzzzz" });

    // Act
    const failure = await handler(authorizerEvent(await signToken({})), context).catch(
      (error: unknown) => error,
    );

    // Assess
    expect((failure as Error).message).toBe("Unauthorized");
  });
});
