import { Readable } from "node:stream";
import { PostToConnectionCommand } from "@aws-sdk/client-apigatewaymanagementapi";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createManagementClient } from "../../../src/aws/management.js";

/** The parts of the SDK's HttpRequest the assertions read. */
interface HttpRequest {
  method: string;
  hostname: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

// The request the tuned client puts on the wire, captured by a stand-in request handler (no network).
const saved = { ...process.env };
beforeEach(() => {
  Object.assign(process.env, {
    AWS_REGION: "eu-west-1",
    AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
    AWS_SECRET_ACCESS_KEY: "secret",
    _X_AMZN_TRACE_ID: "Root=1-5759e988-bd862e3fe1be46a994272793",
  });
});
afterEach(() => {
  process.env = { ...saved };
});

describe("createManagementClient on the wire", () => {
  it("still signs and serializes every call, without the per-call extras it removed", async () => {
    // Prepare
    const client = createManagementClient("https://abc.execute-api.eu-west-1.amazonaws.com/prod", {
      concurrency: 2,
      sendTimeoutMs: 1000,
    });
    const requests: HttpRequest[] = [];
    client.config.requestHandler = {
      handle: async (request: HttpRequest) => {
        requests.push(request);
        return { response: { statusCode: 200, headers: {}, body: Readable.from([]) } };
      },
    } as unknown as typeof client.config.requestHandler;
    const data = Buffer.from('{"message":1}');

    // Act: twice, so the second call runs through the cached middleware
    for (const id of ["abc=", "def="]) {
      await client.send(new PostToConnectionCommand({ ConnectionId: id, Data: data }));
    }

    // Assess
    expect(requests.map((r) => `${r.method} ${r.hostname}${r.path}`)).toEqual([
      "POST abc.execute-api.eu-west-1.amazonaws.com/prod/@connections/abc%3D",
      "POST abc.execute-api.eu-west-1.amazonaws.com/prod/@connections/def%3D",
    ]);
    for (const request of requests) {
      expect(Buffer.from(request.body as Uint8Array).toString()).toBe('{"message":1}');
      expect(request.headers.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=.*host.*, Signature=[0-9a-f]{64}$/,
      );
      expect(request.headers["content-length"]).toBe("13");
      const names = Object.keys(request.headers).map((h) => h.toLowerCase());
      expect(names).not.toContain("amz-sdk-invocation-id");
      expect(names).not.toContain("x-amz-user-agent");
      expect(names).not.toContain("x-amzn-trace-id");
    }
  });
});
