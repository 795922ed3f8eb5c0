/**
 * AWS Signature Version 4 with node:crypto, for the few requests the function makes without the SDK (the
 * @connections sender, `connections.ts`). Written here rather than taken from `@smithy/signature-v4` because it is
 * the per-send cost of a fan-out: `npm run bench` measures the send path alone (one process's CPU per call to a
 * keep-alive sink) at 0.039 ms a send signed here and 0.077 ms signed by the SDK's signer, against 0.027 ms for an
 * unsigned request (docs/design.md). Checked against AWS's published SigV4 test suite
 * (`test/unit/aws/sigv4.test.ts`) and against the SDK's own signer on the wire
 * (`test/e2e/connections-contract.test.ts`).
 */
import { createHmac, hash } from "node:crypto";

/** AWS credentials, as Lambda passes them in the environment. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** The execution role's session token (always set on Lambda). */
  sessionToken?: string;
}

/**
 * Where a request's credentials come from: asked for every request signed alone, and at least once a second by a
 * fan-out's prepared signing, so that rotated credentials are used at once.
 */
export type CredentialSource = () => Credentials;

/** No credentials in the environment. */
export class MissingCredentialsError extends Error {
  override readonly name = "MissingCredentialsError";
}

/**
 * The credentials of the environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), read on
 * every call: the SDK's `fromEnv`, without its memoization, so a changed variable takes effect at once.
 * @param env - the environment, `process.env` on Lambda
 * @throws MissingCredentialsError when the key id or the secret is unset (on the call, not here)
 */
export function environmentCredentials(env: Record<string, string | undefined>): CredentialSource {
  return () => {
    const accessKeyId = env.AWS_ACCESS_KEY_ID;
    const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
    if (!accessKeyId || !secretAccessKey) {
      throw new MissingCredentialsError(
        "no AWS credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are unset (Lambda sets them from the execution role)",
      );
    }
    const sessionToken = env.AWS_SESSION_TOKEN;
    return sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
  };
}

/** What is signed: the request as it goes on the wire. */
export interface SignableRequest {
  method: string;
  /** The path as sent, percent-encoded (`/prod/@connections/abc%3D`). */
  path: string;
  /** Query parameters, unencoded; signed and sent in canonical order ({@link canonicalQuery}). */
  query?: Record<string, string>;
  /**
   * Every header to send and sign, names in lower case, `host` included; `x-amz-date`, `x-amz-security-token` and
   * `authorization` are the signer's to add.
   */
  headers: Record<string, string>;
  /** Hex SHA-256 of the body ({@link payloadHash}). */
  payloadHash: string;
}

/** The part of a request's identity that is not the request: service, region, clock and credentials. */
export interface SigningScope {
  /** The signing name: `execute-api` for @connections. */
  service: string;
  region: string;
  credentials: CredentialSource;
  /** Epoch milliseconds; replaceable in tests. */
  now?: () => number;
}

/**
 * RFC 3986 percent-encoding as SigV4 wants it: every byte but `A-Z a-z 0-9 - _ . ~` (encodeURIComponent also leaves
 * `! ' ( ) *`, which SigV4 encodes).
 * @param text - a path segment, query key or value
 */
export function uriEscape(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * The query string in SigV4's canonical form, which is also a valid wire form: each key and value escaped, sorted by
 * key then value.
 * @param query - the parameters
 */
export function canonicalQuery(query: Record<string, string>): string {
  return Object.entries(query)
    .map(([key, value]) => [uriEscape(key), uriEscape(value)] as const)
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join("&");
}

/**
 * Hex SHA-256 of a body: compute it once per payload, since a fan-out sends the same bytes to every recipient.
 * @param body - the bytes or text
 */
export function payloadHash(body: Uint8Array | string): string {
  return hash("sha256", body, "hex");
}

/** What {@link SigV4.prepare} needs: a request but its path and query. */
export type RequestTemplate = Omit<SignableRequest, "path" | "query">;

/**
 * Signs requests for one service and region. Keeps the derived signing key of the current day and secret, and the
 * `x-amz-date` of the current second, so that a request costs one SHA-256 and one HMAC.
 */
export class SigV4 {
  private readonly now: () => number;
  private key: { secret: string; day: string; bytes: Buffer } | undefined;
  private clock = { second: Number.NaN, amzDate: "" };

  /** @param scope - service, region, credentials and clock */
  constructor(private readonly scope: SigningScope) {
    this.now = scope.now ?? Date.now;
  }

  /**
   * Signs one request: its headers with `x-amz-date`, `x-amz-security-token` (with temporary credentials) and
   * `authorization` added, every header signed.
   * @param request - the request
   * @returns the headers to send
   * @throws MissingCredentialsError when the credential source has none
   */
  sign(request: SignableRequest): Record<string, string> {
    return this.prepare(request).sign(request.path, request.query);
  }

  /**
   * Reads the credentials and the clock and does the work that requests differing only in path and query share:
   * a fan-out signs one payload to thousands of paths a second. The result signs for the second it was made in.
   * @param template - method, headers and payload hash
   * @throws MissingCredentialsError when the credential source has none
   */
  prepare(template: RequestTemplate): PreparedSigning {
    const credentials = this.scope.credentials();
    const second = Math.floor(this.now() / 1000);
    const amzDate = this.amzDate(second);
    const day = amzDate.slice(0, 8);
    const headers: Record<string, string> = { ...template.headers, "x-amz-date": amzDate };
    if (credentials.sessionToken) headers["x-amz-security-token"] = credentials.sessionToken;
    const names = Object.keys(headers).sort();
    let canonicalHeaders = "";
    for (const name of names) canonicalHeaders += `${name}:${canonicalValue(headers[name] as string)}\n`;
    const signedHeaders = names.join(";");
    const credentialScope = `${day}/${this.scope.region}/${this.scope.service}/aws4_request`;
    return new PreparedSigning({
      second,
      method: template.method,
      headers,
      tail: `${canonicalHeaders}\n${signedHeaders}\n${template.payloadHash}`,
      stringToSignHead: `AWS4-HMAC-SHA256\n${amzDate}\n${credentialScope}\n`,
      authorizationHead: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${credentialScope}, SignedHeaders=${signedHeaders}, Signature=`,
      key: this.signingKey(credentials.secretAccessKey, day),
    });
  }

  /** `YYYYMMDDTHHMMSSZ` of a second, formatted once a second. */
  private amzDate(second: number): string {
    if (second !== this.clock.second) {
      this.clock = { second, amzDate: new Date(second * 1000).toISOString().replace(/[-:]|\.\d{3}/g, "") };
    }
    return this.clock.amzDate;
  }

  /** HMAC chain of secret, day, region, service: the same all day, so derived once a day (or per new secret). */
  private signingKey(secret: string, day: string): Buffer {
    if (this.key?.secret !== secret || this.key.day !== day) {
      const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data).digest();
      const bytes = hmac(
        hmac(hmac(hmac(`AWS4${secret}`, day), this.scope.region), this.scope.service),
        "aws4_request",
      );
      this.key = { secret, day, bytes };
    }
    return this.key.bytes;
  }
}

/** The shared part of signing requests that differ only in path and query ({@link SigV4.prepare}). */
export class PreparedSigning {
  /** The epoch second it signs for: a request in a later second needs a new one. */
  readonly second: number;

  /** @param parts - what {@link SigV4.prepare} computed */
  constructor(
    private readonly parts: {
      second: number;
      method: string;
      /** The headers to send, `x-amz-date` and the token included. */
      headers: Record<string, string>;
      /** The canonical request after its query line: headers, signed header names, payload hash. */
      tail: string;
      stringToSignHead: string;
      authorizationHead: string;
      key: Buffer;
    },
  ) {
    this.second = parts.second;
  }

  /**
   * The headers of one request, `authorization` included.
   * @param path - the path as sent, percent-encoded
   * @param query - the query parameters, unencoded
   * @param canonicalPath - {@link canonicalUri} of `path`, when the caller has it (a fan-out escapes the path's
   *   unchanging part once, not per send)
   */
  sign(
    path: string,
    query?: Record<string, string>,
    canonicalPath: string = canonicalUri(path),
  ): Record<string, string> {
    const { method, headers, tail, stringToSignHead, authorizationHead, key } = this.parts;
    const canonicalRequest = `${method}\n${canonicalPath}\n${query === undefined ? "" : canonicalQuery(query)}\n${tail}`;
    const signature = createHmac("sha256", key)
      .update(stringToSignHead + hash("sha256", canonicalRequest, "hex"))
      .digest("hex");
    return { ...headers, authorization: authorizationHead + signature };
  }
}

/**
 * The canonical URI of a wire path: each segment escaped once more, as every service but S3 expects (so `abc%3D` is
 * signed as `abc%253D`).
 * @param path - the path as sent, percent-encoded
 */
export function canonicalUri(path: string): string {
  return path.split("/").map(uriEscape).join("/");
}

/** A header value as SigV4 signs it: trimmed, runs of spaces inside collapsed to one. */
function canonicalValue(value: string): string {
  return value.trim().replace(/\s+/g, " ");
}
