/**
 * The lean @connections sender (`src/aws/connections.ts`) against the AWS SDK's client, on the wire: both post to
 * the same local @connections server (the local gateway's handler, `util/local-stack/gateway/management.ts`, behind
 * a recorder), and what they send and how their errors classify must agree: method and path (ids with `=`, `+`,
 * `/`), the headers AWS checks, signatures that the SDK's own signer reproduces, and the error names, statuses and
 * send-policy outcomes of a 410 (typed and bare), 429, 413, 403, a reset socket and a hung call.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from "@aws-sdk/client-apigatewaymanagementapi";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ConnectionsApi } from "../../src/aws/connections.js";
import { MAX_MESSAGE_BYTES } from "../../src/contract/index.js";
import {
  classifySendFailure,
  isConnectionReset,
  type Send,
  SendTimeoutError,
  sendWithTimeout,
} from "../../src/delivery/send-policy.js";
import { managementHandler } from "../../util/local-stack/gateway/management.js";
import { sdkAuthorization } from "../support/sigv4-check.js";

const CREDENTIALS = {
  accessKeyId: "ASIAEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  sessionToken: "IQoJb3JpZ2luX2VjEXAMPLE/token+with=base64",
};
const REGION = "eu-west-1";
const RETRY = { throttleRetries: 3, retryBaseDelayMs: 100, retryMaxDelayMs: 1000 };
/** The connections the server knows; any other id is gone. */
const OPEN = new Set(["a=b+c/d", "Ek02Ofq8IAMCEyw=", "x/y+z=="]);

/** One request as the server saw it, and the connection id and body the gateway's handler read from it. */
interface Seen {
  method: string;
  url: string;
  headers: Record<string, string>;
  delivered?: { connectionId: string; body: Buffer };
}

/** How the server answers the next requests: as the local gateway does, or as a test needs. */
type Mode = "gateway" | "bare410" | "reset" | "hang";

let server: Server;
let endpoint: string;
let mode: Mode = "gateway";
let rateLimit = 0;
const seen: Seen[] = [];
const hung: ServerResponse[] = [];

beforeAll(async () => {
  const gateway = managementHandler({
    stage: "prod",
    managementDelayMs: 0,
    get managementRateLimit() {
      return rateLimit;
    },
    send: (connectionId, body) => {
      const last = seen.at(-1);
      if (last) last.delivered = { connectionId, body };
      return OPEN.has(connectionId);
    },
    describe: () => undefined,
    close: () => false,
  });
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push({
      method: req.method ?? "",
      url: req.url ?? "",
      headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
    });
    if (mode === "reset") req.socket.destroy();
    else if (mode === "hang") hung.push(res);
    else if (mode === "bare410") {
      req.resume();
      res.writeHead(410, { "content-length": "0" }).end();
    } else gateway(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prod`;
});
afterEach(() => {
  mode = "gateway";
  rateLimit = 0;
  seen.length = 0;
  for (const res of hung.splice(0)) res.destroy();
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** The two senders, over the same endpoint: ours and the SDK's (defaults, one attempt, so each call is one request). */
function senders(base = endpoint): { lean: Send; sdk: Send; close: () => void } {
  const lean = new ConnectionsApi(base, { concurrency: 4, region: REGION, credentials: () => CREDENTIALS });
  const client = new ApiGatewayManagementApiClient({
    endpoint: base,
    region: REGION,
    credentials: CREDENTIALS,
    maxAttempts: 1,
  });
  const sdk: Send = async (connectionId, data) => {
    await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: data }));
  };
  return { lean: lean.post, sdk, close: () => client.destroy() };
}

/** What a failed send rejected with, for comparison: its name, status and the send policy's outcome. */
function outcome(error: unknown) {
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return {
    name: (error as Error).name,
    status,
    kind: classifySendFailure(error, { resets: 0, throttles: 0 }, RETRY).kind,
  };
}

describe("the lean @connections sender and the SDK, on the wire", () => {
  it("send the same method, path, body and checked headers, each validly signed", async () => {
    // Prepare
    const { lean, sdk, close } = senders();
    const data = Buffer.from('{"message":{"text":"héllo"}}');

    // Act
    const pairs: Array<[Seen, Seen]> = [];
    for (const id of OPEN) {
      await sdk(id, data, new AbortController().signal);
      await lean(id, data, new AbortController().signal);
      pairs.push([seen.at(-2) as Seen, seen.at(-1) as Seen]);
    }
    close();

    // Assess
    for (const [theirs, ours] of pairs) {
      expect(ours.method).toBe("POST");
      expect(ours.url).toBe(theirs.url);
      expect(ours.delivered).toEqual(theirs.delivered);
      for (const header of [
        "host",
        "content-type",
        "content-length",
        "x-amz-security-token",
        "x-amz-content-sha256",
      ]) {
        expect([header, ours.headers[header]]).toEqual([header, theirs.headers[header]]);
      }
      // Signed a moment apart: the same format, seconds apart at most.
      const signedAt = (h: Seen) =>
        Date.parse(
          (h.headers["x-amz-date"] ?? "").replace(
            /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/,
            "$1-$2-$3T$4:$5:$6Z",
          ),
        );
      expect(Math.abs(signedAt(ours) - signedAt(theirs))).toBeLessThanOrEqual(2000);
      const scope = (h: Seen) =>
        /^AWS4-HMAC-SHA256 Credential=[^,]+/.exec(h.headers.authorization ?? "")?.[0];
      expect(scope(ours)).toBe(scope(theirs));
      for (const request of [theirs, ours]) {
        const wire = {
          method: request.method,
          host: request.headers.host ?? "",
          path: request.url,
          headers: request.headers,
          body: data,
        };
        expect(request.headers.authorization).toBe(
          await sdkAuthorization(wire, { service: "execute-api", region: REGION, ...CREDENTIALS }),
        );
      }
    }
    expect(pairs.map(([, ours]) => ours.url)).toEqual([
      "/prod/@connections/a%3Db%2Bc%2Fd",
      "/prod/@connections/Ek02Ofq8IAMCEyw%3D",
      "/prod/@connections/x%2Fy%2Bz%3D%3D",
    ]);
  });

  it("name and classify API Gateway's errors alike: 410, a bare 410, 429, 413 and 403", async () => {
    // Prepare
    const { lean, sdk, close } = senders();
    const other = senders(endpoint.replace(/\/prod$/, "/staging"));
    const small = Buffer.from("{}");
    const cases: Array<[string, (send: Send, which: "lean" | "sdk") => Promise<void>]> = [
      ["410", (send) => send("NoSuchConn=", small, new AbortController().signal)],
      [
        "bare 410",
        async (send) => {
          mode = "bare410";
          await send("a=b+c/d", small, new AbortController().signal);
        },
      ],
      [
        "429",
        async (send) => {
          rateLimit = 1; // a bucket of one: the first call passes, the second is throttled
          await send("a=b+c/d", small, new AbortController().signal).catch(() => undefined);
          await send("a=b+c/d", small, new AbortController().signal);
        },
      ],
      [
        "413",
        (send) => send("a=b+c/d", Buffer.alloc(MAX_MESSAGE_BYTES + 1, 0x61), new AbortController().signal),
      ],
      [
        "403",
        (_send, which) =>
          (which === "lean" ? other.lean : other.sdk)("a=b+c/d", small, new AbortController().signal),
      ],
    ];

    // Act
    const results: Array<{ label: string; lean: unknown; sdk: unknown }> = [];
    for (const [label, run] of cases) {
      const sdkError = await run(sdk, "sdk").then(() => undefined, outcome);
      mode = "gateway";
      rateLimit = 0;
      const leanError = await run(lean, "lean").then(() => undefined, outcome);
      mode = "gateway";
      rateLimit = 0;
      results.push({ label, lean: leanError, sdk: sdkError });
    }
    close();
    other.close();

    // Assess
    for (const { label, lean: ours, sdk: theirs } of results) expect([label, ours]).toEqual([label, theirs]);
    expect(results.map((r) => r.lean)).toEqual([
      { name: "GoneException", status: 410, kind: "gone" },
      { name: "Unknown", status: 410, kind: "gone" },
      { name: "LimitExceededException", status: 429, kind: "retryAfter" },
      { name: "PayloadTooLargeException", status: 413, kind: "fail" },
      { name: "ForbiddenException", status: 403, kind: "fail" },
    ]);
  });

  it("both see a socket reset as a connection reset, which the policy retries at once", async () => {
    // Prepare
    mode = "reset";
    const { lean, sdk, close } = senders();

    // Act
    const errors = [
      await sdk("a=b+c/d", Buffer.from("{}"), new AbortController().signal).catch((e: unknown) => e),
      await lean("a=b+c/d", Buffer.from("{}"), new AbortController().signal).catch((e: unknown) => e),
    ];
    close();

    // Assess
    expect(errors.map(isConnectionReset)).toEqual([true, true]);
    expect(errors.map((e) => outcome(e).kind)).toEqual(["retryNow", "retryNow"]);
  });

  it("a hung call ends at the engine's timeout, and the lean sender closes its request", async () => {
    // Prepare
    mode = "hang";
    const { lean, close } = senders();
    const closed = new Promise<void>((resolve) => server.once("request", (req) => req.on("close", resolve)));

    // Act
    const error = await sendWithTimeout(lean, "a=b+c/d", Buffer.from("{}"), 200).catch((e: unknown) => e);
    await closed;
    close();

    // Assess
    expect(error).toBeInstanceOf(SendTimeoutError);
    expect(outcome(error)).toMatchObject({ name: "SendTimeoutError", kind: "fail" });
  });
});
