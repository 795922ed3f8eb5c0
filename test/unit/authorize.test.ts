import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { capabilitiesFromContext } from "../../src/capabilities.js";
import {
  type AuthorizeDependencies,
  type AuthorizerEvent,
  authorize,
  authorizerResult,
  isAuthorizerEvent,
  UnauthorizedError,
} from "../../src/routes/authorize.js";
import { createTokenVerifier, hs256KeySource, type TokenVerifier } from "../../src/tokens.js";
import { repoRoot } from "../../util/lib/repo.js";
import { RecordingLog } from "./support/log.js";

const SECRET = "a-test-secret-that-is-long-enough-for-hs256!";
const NOW = new Date("2030-01-01T00:00:00Z");
const NOW_S = NOW.getTime() / 1000;
const METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:abcdef123/primary/$connect";

/** The REQUEST authorizer event for a WebSocket $connect, shaped as in the API Gateway developer guide. */
function loadAuthorizerEvent(token?: string): AuthorizerEvent {
  const path = resolve(repoRoot, "test/fixtures/aws-events/authorizer_1.json");
  const event = JSON.parse(readFileSync(path, "utf8")) as AuthorizerEvent;
  if (token === undefined) delete event.queryStringParameters?.token;
  else event.queryStringParameters = { token };
  return event;
}

let verify: TokenVerifier;
beforeAll(async () => {
  verify = createTokenVerifier(await hs256KeySource(SECRET), { now: () => NOW });
});

function sign(claims: Record<string, unknown>): Promise<string> {
  return new SignJWT({ sub: "alice", iat: NOW_S, exp: NOW_S + 600, ...claims })
    .setProtectedHeader({ alg: "HS256" })
    .sign(new TextEncoder().encode(SECRET));
}

function deps(log: RecordingLog, extra: Partial<AuthorizeDependencies> = {}): AuthorizeDependencies {
  return { verify, log, ...extra };
}

describe("the $connect authorizer", () => {
  it("allows a valid token on the connect method, passing sub and capabilities on", async () => {
    // Prepare
    const log = new RecordingLog();
    const token = await sign({ fanout: { broadcast: true, subscribe: ["news/*"] } });
    // Act
    const outcome = await authorize(deps(log), loadAuthorizerEvent(token));
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
      loadAuthorizerEvent(await sign({ fanout: { publish: ["a/**"] } })),
    );
    const context =
      outcome.kind === "allow" ? { principalId: "alice", ...outcome.response.context } : undefined;
    // Act
    const capabilities = capabilitiesFromContext(context, "token");
    // Assess
    expect(capabilities).toEqual({ broadcast: false, subscribe: [], publish: ["a/**"] });
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
    const outcome = await authorize(deps(log), loadAuthorizerEvent(token));
    // Assess
    expect(outcome).toEqual({ kind: "unauthorized", reason });
    const [line] = log.find("connection refused: token not accepted");
    expect(line?.attributes).toMatchObject({ reason, tokenLength: token?.length ?? 0 });
    expect(JSON.stringify(log.lines)).not.toContain(token ?? "\u0000");
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
    const event = loadAuthorizerEvent(await sign({}));
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
    const event = loadAuthorizerEvent(await sign({}));
    const outcome = await authorize(
      deps(new RecordingLog(), { allowedOrigins: ["https://app.example.com"] }),
      event,
    );
    expect(outcome.kind).toBe("allow");
  });

  it("reports a key source that failed as unavailable", async () => {
    // Prepare
    const log = new RecordingLog();
    const failing: TokenVerifier = async () => ({ ok: false, failure: "key_unavailable" });
    // Act
    const outcome = await authorize(deps(log, { verify: failing }), loadAuthorizerEvent("x.y.z"));
    // Assess
    expect(outcome).toEqual({ kind: "unavailable" });
    expect(log.find("cannot verify tokens: the key source failed")).toHaveLength(1);
  });
});

describe("the authorizer's Lambda result", () => {
  it("returns the policy for allow and deny", async () => {
    const outcome = await authorize(deps(new RecordingLog()), loadAuthorizerEvent(await sign({})));
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

describe("recognising the authorizer event", () => {
  it("recognises the fixture, though it also looks like a CONNECT event", () => {
    // Prepare
    const event: unknown = loadAuthorizerEvent("t");
    // Act
    const recognised = isAuthorizerEvent(event);
    // Assess
    expect(recognised).toBe(true);
    expect((event as { requestContext: { eventType: string } }).requestContext.eventType).toBe("CONNECT");
  });

  it.each([
    ["null", null],
    ["a string", "REQUEST"],
    ["a TOKEN authorizer event", { type: "TOKEN", methodArn: METHOD_ARN }],
    ["a REQUEST without methodArn", { type: "REQUEST" }],
  ])("does not take %s for one", (_name, event) => {
    expect(isAuthorizerEvent(event)).toBe(false);
  });
});
