/**
 * The signer against AWS's SigV4 test suite: the published requests and the Authorization each must get, as the
 * suite states them (service `service`, region `us-east-1`, 2015-08-30T12:36:00Z, the documentation's example
 * keys). The cases are those of the suite's copy in the AWS SDK's signer (smithy-typescript,
 * `packages/signature-v4/src/suite.fixture.ts`) and `get-vanilla-with-session-token` of aws-c-auth's copy
 * (`tests/aws-signing-test-suite/v4/`), except the path-normalisation cases (`/./`, `//`), which no request of ours
 * has.
 */
import { describe, expect, it } from "vitest";
import {
  type Credentials,
  canonicalQuery,
  environmentCredentials,
  MissingCredentialsError,
  payloadHash,
  SigV4,
} from "../../../src/aws/sigv4.js";

const SUITE_KEYS: Credentials = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
};
const SUITE_TIME = Date.parse("2015-08-30T12:36:00Z");
const SCOPE = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request";

interface SuiteCase {
  name: string;
  method: string;
  path: string;
  query?: Record<string, string>;
  /** The request's headers but `x-amz-date`, which the signer adds from its clock. */
  headers: Record<string, string>;
  body?: string;
  token?: string;
  /** The suite's expected Authorization, after the credential scope. */
  authorization: string;
}

const HOST = { host: "example.amazonaws.com" };

const SUITE: SuiteCase[] = [
  {
    name: "get-vanilla",
    method: "GET",
    path: "/",
    headers: HOST,
    authorization:
      "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
  },
  {
    name: "get-utf8",
    method: "GET",
    path: "/ሴ",
    headers: HOST,
    authorization:
      "SignedHeaders=host;x-amz-date, Signature=8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85",
  },
  {
    name: "get-unreserved",
    method: "GET",
    path: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    headers: HOST,
    authorization:
      "SignedHeaders=host;x-amz-date, Signature=07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
  },
  {
    name: "get-header-value-trim",
    method: "GET",
    path: "/",
    headers: { ...HOST, "my-header1": "value1", "my-header2": '"a   b   c"' },
    authorization:
      "SignedHeaders=host;my-header1;my-header2;x-amz-date, Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
  },
  {
    name: "get-header-key-duplicate",
    method: "GET",
    path: "/",
    headers: { ...HOST, "my-header1": "value2,value2,value1" },
    authorization:
      "SignedHeaders=host;my-header1;x-amz-date, Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
  },
  {
    name: "get-vanilla-query-order-key-case",
    method: "GET",
    path: "/",
    query: { Param2: "value2", Param1: "value1" },
    headers: HOST,
    authorization:
      "SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
  },
  {
    name: "get-vanilla-query-unreserved",
    method: "GET",
    path: "/",
    query: {
      "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz":
        "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
    },
    headers: HOST,
    authorization:
      "SignedHeaders=host;x-amz-date, Signature=9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197",
  },
  {
    name: "get-vanilla-utf8-query",
    method: "GET",
    path: "/",
    query: { ሴ: "bar" },
    headers: HOST,
    authorization:
      "SignedHeaders=host;x-amz-date, Signature=2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
  },
  {
    name: "post-vanilla",
    method: "POST",
    path: "/",
    headers: HOST,
    authorization:
      "SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b",
  },
  {
    name: "post-header-value-case",
    method: "POST",
    path: "/",
    headers: { ...HOST, "my-header1": "VALUE1" },
    authorization:
      "SignedHeaders=host;my-header1;x-amz-date, Signature=cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d",
  },
  {
    name: "post-vanilla-query-nonunreserved",
    method: "POST",
    path: "/",
    query: { "@#$%^": "", "+": '/,?><`";:\\|][{}' },
    headers: HOST,
    authorization:
      "SignedHeaders=host;x-amz-date, Signature=66c82657c86e26fb25238d0e69f011edc4c6df5ae71119d7cb98ed9b87393c1e",
  },
  {
    name: "post-x-www-form-urlencoded",
    method: "POST",
    path: "/",
    headers: { "content-type": "application/x-www-form-urlencoded", ...HOST },
    body: "Param1=value1",
    authorization:
      "SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
  },
  {
    name: "post-x-www-form-urlencoded-parameters",
    method: "POST",
    path: "/",
    headers: { "content-type": "application/x-www-form-urlencoded; charset=utf8", ...HOST },
    body: "Param1=value1",
    authorization:
      "SignedHeaders=content-type;host;x-amz-date, Signature=1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe",
  },
  {
    name: "post-sts-header-before",
    method: "POST",
    path: "/",
    headers: HOST,
    token:
      "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==",
    authorization:
      "SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead",
  },
  {
    name: "get-vanilla-with-session-token",
    method: "GET",
    path: "/",
    headers: HOST,
    token: "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267",
    authorization:
      "SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8",
  },
];

describe("SigV4 on AWS's test suite", () => {
  it.each(SUITE.map((c) => [c.name, c] as const))("%s", (_name, suiteCase) => {
    // Prepare
    const credentials = suiteCase.token ? { ...SUITE_KEYS, sessionToken: suiteCase.token } : SUITE_KEYS;
    const signer = new SigV4({
      service: "service",
      region: "us-east-1",
      credentials: () => credentials,
      now: () => SUITE_TIME,
    });

    // Act
    const headers = signer.sign({
      method: suiteCase.method,
      path: suiteCase.path,
      ...(suiteCase.query ? { query: suiteCase.query } : {}),
      headers: { ...suiteCase.headers },
      payloadHash: payloadHash(suiteCase.body ?? ""),
    });

    // Assess
    expect(headers.authorization).toBe(`${SCOPE}, ${suiteCase.authorization}`);
    expect(headers["x-amz-date"]).toBe("20150830T123600Z");
    expect(headers["x-amz-security-token"]).toBe(suiteCase.token);
  });
});

describe("SigV4's caches", () => {
  it("signs each second's requests with that second's date and a rotated secret with its own key", () => {
    // Prepare: the suite's vanilla request, signed again a day later and with another secret
    let now = SUITE_TIME;
    let credentials = SUITE_KEYS;
    const signer = new SigV4({
      service: "service",
      region: "us-east-1",
      credentials: () => credentials,
      now: () => now,
    });
    const vanilla = () =>
      signer.sign({ method: "GET", path: "/", headers: { ...HOST }, payloadHash: payloadHash("") })
        .authorization;

    // Act
    const first = vanilla();
    now = SUITE_TIME + 86_400_000;
    const nextDay = vanilla();
    credentials = { ...SUITE_KEYS, secretAccessKey: "another-secret" };
    const rotated = vanilla();
    now = SUITE_TIME;
    credentials = SUITE_KEYS;
    const back = vanilla();

    // Assess
    expect(first).toBe(back);
    expect(nextDay).toContain("Credential=AKIDEXAMPLE/20150831/us-east-1/service/aws4_request");
    expect(new Set([first, nextDay, rotated]).size).toBe(3);
  });
});

describe("canonicalQuery", () => {
  it("escapes keys and values as SigV4 does and sorts by key, then value", () => {
    // Prepare
    const query = { "continuation-token": "a+b/c=", "list-type": "2", prefix: "active connections/~0a/" };

    // Act
    const text = canonicalQuery(query);

    // Assess
    expect(text).toBe("continuation-token=a%2Bb%2Fc%3D&list-type=2&prefix=active%20connections%2F~0a%2F");
  });
});

describe("environmentCredentials", () => {
  it("reads the environment on every call, so rotated credentials are used at once", () => {
    // Prepare
    const env: Record<string, string | undefined> = {
      AWS_ACCESS_KEY_ID: "ASIAFIRST",
      AWS_SECRET_ACCESS_KEY: "s1",
      AWS_SESSION_TOKEN: "t1",
    };
    const credentials = environmentCredentials(env);

    // Act
    const first = credentials();
    Object.assign(env, {
      AWS_ACCESS_KEY_ID: "ASIASECOND",
      AWS_SECRET_ACCESS_KEY: "s2",
      AWS_SESSION_TOKEN: "",
    });
    const second = credentials();

    // Assess
    expect(first).toEqual({ accessKeyId: "ASIAFIRST", secretAccessKey: "s1", sessionToken: "t1" });
    expect(second).toEqual({ accessKeyId: "ASIASECOND", secretAccessKey: "s2" });
  });

  it("fails with a named error when the key id or the secret is missing", () => {
    // Prepare
    const credentials = environmentCredentials({ AWS_ACCESS_KEY_ID: "AKID" });

    // Act
    const read = () => credentials();

    // Assess
    expect(read).toThrow(MissingCredentialsError);
    expect(read).toThrow(/AWS_SECRET_ACCESS_KEY/);
  });
});
