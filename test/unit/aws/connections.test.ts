import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  type Answer,
  ConnectionsApi,
  ConnectionsApiError,
  ConnectionsSenders,
  connectionsError,
  type Exchange,
  MissingRegionError,
  managementEndpoint,
  type OutgoingRequest,
  signingRegion,
} from "../../../src/aws/connections.js";
import { classifySendFailure, isConnectionReset } from "../../../src/delivery/send-policy.js";
import { sdkAuthorization } from "../../support/sigv4-check.js";

const KEYS = { accessKeyId: "ASIAEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };
const ENDPOINT = "https://abc123.execute-api.eu-west-1.amazonaws.com/prod";
const RETRY = { throttleRetries: 3, retryBaseDelayMs: 100, retryMaxDelayMs: 1000 };

/** An exchange that records each request and answers from a list (then 200). */
function recordingExchange(...answers: Array<Partial<Answer> | Error>) {
  const requests: Array<{ request: OutgoingRequest; body: Uint8Array }> = [];
  const exchange: Exchange = async (request, body) => {
    requests.push({ request: { ...request, headers: { ...request.headers } }, body });
    const next = answers.shift();
    if (next instanceof Error) throw next;
    return { status: 200, errorType: undefined, body: "", ...next };
  };
  return { requests, exchange };
}

describe("managementEndpoint", () => {
  it("derives https://{domainName}/{stage} from the event", () => {
    // Prepare
    const context = { domainName: "7b8s192d6i.execute-api.us-east-1.amazonaws.com", stage: "primary" };

    // Act
    const endpoint = managementEndpoint(undefined, context);

    // Assess
    expect(endpoint).toBe("https://7b8s192d6i.execute-api.us-east-1.amazonaws.com/primary");
  });

  it("prefers the configured endpoint (custom domains break the derived one)", () => {
    // Prepare
    const context = { domainName: "ws.example.com", stage: "primary" };

    // Act
    const endpoint = managementEndpoint("https://abc.execute-api.eu-west-1.amazonaws.com/prod", context);

    // Assess
    expect(endpoint).toBe("https://abc.execute-api.eu-west-1.amazonaws.com/prod");
  });
});

describe("signingRegion", () => {
  it("signs for the API's own region when its host name says it, else for the function's", () => {
    // Prepare
    const api = new URL(ENDPOINT);
    const local = new URL("http://127.0.0.1:4510/local");

    // Act
    const regions = [signingRegion(api, "us-east-1"), signingRegion(local, "us-east-1")];

    // Assess
    expect(regions).toEqual(["eu-west-1", "us-east-1"]);
    expect(() => signingRegion(local, undefined)).toThrow(MissingRegionError);
  });
});

describe("ConnectionsApi.post", () => {
  it("posts the bytes to /{stage}/@connections/{id}, the id escaped, signed as the SDK's signer signs it", async () => {
    // Prepare
    const { requests, exchange } = recordingExchange();
    const api = new ConnectionsApi(ENDPOINT, {
      concurrency: 4,
      region: "us-east-1",
      credentials: () => ({ ...KEYS, sessionToken: "session-token" }),
      exchange,
    });
    const data = Buffer.from('{"message":"hi"}');

    // Act
    for (const id of ["a=b+c/d", "Ek02Ofq8IAMCEyw="]) await api.post(id, data, new AbortController().signal);

    // Assess
    expect(requests.map((r) => `${r.request.method} ${r.request.path}`)).toEqual([
      "POST /prod/@connections/a%3Db%2Bc%2Fd",
      "POST /prod/@connections/Ek02Ofq8IAMCEyw%3D",
    ]);
    for (const { request, body } of requests) {
      expect(body).toBe(data);
      expect(request.headers).toMatchObject({
        "content-length": "16",
        "content-type": "application/octet-stream",
        host: "abc123.execute-api.eu-west-1.amazonaws.com",
        "x-amz-security-token": "session-token",
        "x-amz-content-sha256": createHash("sha256").update(data).digest("hex"),
      });
      expect(request.headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=content-length;content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
      );
      const wire = {
        method: "POST",
        host: request.headers.host ?? "",
        path: request.path,
        headers: request.headers,
        body,
      };
      expect(request.headers.authorization).toBe(
        await sdkAuthorization(wire, { service: "execute-api", region: "eu-west-1", ...KEYS }),
      );
    }
  });

  it("reads the credentials again for a new payload (and every second), so rotated ones sign the next fan-out", async () => {
    // Prepare
    const { requests, exchange } = recordingExchange();
    let keys = { accessKeyId: "ASIAFIRST", secretAccessKey: "one" };
    const api = new ConnectionsApi(ENDPOINT, {
      concurrency: 1,
      region: undefined,
      credentials: () => keys,
      exchange,
    });

    // Act
    await api.post("a=", Buffer.from("{}"), new AbortController().signal);
    keys = { accessKeyId: "ASIASECOND", secretAccessKey: "two" };
    await api.post("a=", Buffer.from("{}"), new AbortController().signal);

    // Assess
    expect(
      requests.map((r) => /Credential=(\w+)\//.exec(r.request.headers.authorization ?? "")?.[1]),
    ).toEqual(["ASIAFIRST", "ASIASECOND"]);
    expect(requests[1]?.request.headers["x-amz-security-token"]).toBeUndefined();
  });

  it("rejects with API Gateway's error, named and with its status, and passes a socket's error on", async () => {
    // Prepare
    const reset = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    const { exchange } = recordingExchange(
      { status: 410, errorType: "GoneException", body: '{"message":"Gone"}' },
      { status: 410 },
      { status: 429, errorType: "LimitExceededException", body: '{"message":"Rate exceeded"}' },
      reset,
    );
    const api = new ConnectionsApi(ENDPOINT, {
      concurrency: 1,
      region: undefined,
      credentials: () => KEYS,
      exchange,
    });
    const post = () =>
      api.post("a=", Buffer.from("{}"), new AbortController().signal).catch((e: unknown) => e);

    // Act
    const errors = [await post(), await post(), await post(), await post()];

    // Assess
    expect(
      errors.slice(0, 3).map((e) => [(e as Error).name, (e as ConnectionsApiError).$metadata.httpStatusCode]),
    ).toEqual([
      ["GoneException", 410],
      ["Unknown", 410],
      ["LimitExceededException", 429],
    ]);
    expect((errors[0] as Error).message).toBe("Gone");
    expect(errors.map((e) => classifySendFailure(e, { resets: 0, throttles: 0 }, RETRY).kind)).toEqual([
      "gone",
      "gone",
      "retryAfter",
      "retryNow",
    ]);
    expect(isConnectionReset(errors[3])).toBe(true);
  });
});

describe("connectionsError", () => {
  it.each([
    [
      "a typed 410",
      { status: 410, errorType: "GoneException", body: '{"message":"Gone"}' },
      "GoneException",
      "Gone",
    ],
    [
      "a type with AWS's namespace suffix",
      { status: 403, errorType: "ForbiddenException:http://internal.amazon.com/coral/", body: "" },
      "ForbiddenException",
      "@connections answered 403",
    ],
    [
      "a 413",
      { status: 413, errorType: "PayloadTooLargeException", body: '{"message":"too big"}' },
      "PayloadTooLargeException",
      "too big",
    ],
    [
      "a type in the body",
      { status: 400, body: '{"__type":"aws#BadRequestException","Message":"bad"}' },
      "BadRequestException",
      "bad",
    ],
    [
      "no type and a non-JSON body",
      { status: 502, body: "<html>Bad Gateway</html>" },
      "Unknown",
      "@connections answered 502",
    ],
  ])("names %s as the SDK does", (_case, answer, name, message) => {
    // Prepare
    const full: Answer = { errorType: undefined, ...answer };

    // Act
    const error = connectionsError(full);

    // Assess
    expect(error).toBeInstanceOf(ConnectionsApiError);
    expect([error.name, error.message, error.$metadata.httpStatusCode]).toEqual([
      name,
      message,
      answer.status,
    ]);
  });
});

describe("ConnectionsSenders", () => {
  it("builds one sender per endpoint and reuses it", () => {
    // Prepare
    const senders = new ConnectionsSenders({
      concurrency: 4,
      region: "us-east-1",
      credentials: () => KEYS,
      exchange: recordingExchange().exchange,
    });

    // Act
    const first = senders.for("https://a.example/prod");
    const again = senders.for("https://a.example/prod");
    const other = senders.for("https://b.example/prod");

    // Assess
    expect(again).toBe(first);
    expect(other).not.toBe(first);
  });
});
