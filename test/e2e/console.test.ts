import { rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { join } from "node:path";
import { urlToHttpOptions } from "node:url";
import { jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { CONSOLE_PATHS, consoleUrl } from "../../util/local-stack/console/console.js";
import { TOKEN_SECRET_FILE } from "../../util/local-stack/state/token-secret.js";
import { httpRequest, type RawResponse } from "../support/http.js";
import { type TestStack, useStack } from "../support/stack.js";

/** A request to the gateway with any headers (fetch may not set Host), resolving with status, headers and body. */
function call(
  stack: TestStack,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  const url = new URL(path, consoleUrl(stack.outputs.ws_url));
  return httpRequest(
    { ...urlToHttpOptions(url), method: options.method ?? "GET", headers: options.headers },
    options.body,
  );
}

const JSON_TYPE = { "content-type": "application/json" };

describe("the console's HTTP endpoints on the gateway", () => {
  // Open mode: these tests start without a token secret and add one (a token-mode stack is in test/browser).
  const suite = useStack({ authMode: "open" });

  it("serves the page and its script without any CORS header, with a CSP that allows only its own stack", async () => {
    // Prepare
    const { stack } = suite;

    // Act
    const page = await call(stack, CONSOLE_PATHS.page);
    const script = await call(stack, CONSOLE_PATHS.script);

    // Assess
    expect(page.status).toBe(200);
    expect(page.body).toContain('<script type="module" src="/console/app.js">');
    const host = new URL(stack.outputs.ws_url).host;
    expect(page.headers["content-security-policy"]).toContain(`connect-src 'self' ws://${host}`);
    expect(page.headers["access-control-allow-origin"]).toBeUndefined();
    expect(script.status).toBe(200);
    expect(script.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(script.body).toContain("token="); // the client library is in the bundle
    expect(script.headers["access-control-allow-origin"]).toBeUndefined();
  });

  it("refuses a foreign Host (DNS rebinding) and a foreign Origin", async () => {
    // Prepare
    const { stack } = suite;

    // Act
    const rebound = await call(stack, CONSOLE_PATHS.status, { headers: { host: "evil.example:80" } });
    const foreign = await call(stack, CONSOLE_PATHS.token, {
      method: "POST",
      headers: { ...JSON_TYPE, origin: "http://evil.example" },
      body: "{}",
    });

    // Assess
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body).error).toMatch(/only to a loopback Host/);
    expect(foreign.status).toBe(403);
    expect(JSON.parse(foreign.body).error).toMatch(/another origin \(http:\/\/evil\.example\) are refused/);
  });

  it("keeps refusing browser requests to @connections next to the console", async () => {
    // Prepare
    const { stack } = suite;

    // Act
    const result = await call(stack, "/local/@connections/abc", {
      method: "POST",
      headers: { origin: consoleUrl(stack.outputs.ws_url).slice(0, -1) },
      body: "hi",
    });

    // Assess
    expect(result.status).toBe(403);
    expect(result.headers["x-amzn-errortype"]).toBe("ForbiddenException");
  });

  it("reports the live connection count and the stage's URL", async () => {
    // Prepare
    const { stack } = suite;

    // Act
    const result = await call(stack, CONSOLE_PATHS.status);

    // Assess
    expect(JSON.parse(result.body)).toEqual({ wsUrl: stack.outputs.ws_url, connections: 0, tokens: false });
  });

  it("says an open stack needs no token (409), then mints with the stack's secret once there is one", async () => {
    // Prepare
    const { stack } = suite;
    const secretFile = join(stack.stateDir, TOKEN_SECRET_FILE);
    const secret = "a-local-secret-of-at-least-32-bytes-long";
    const ask = (body: unknown) =>
      call(stack, CONSOLE_PATHS.token, {
        method: "POST",
        headers: { ...JSON_TYPE, origin: consoleUrl(stack.outputs.ws_url).slice(0, -1) },
        body: JSON.stringify(body),
      });
    const open = await ask({});

    try {
      // Act
      await writeFile(secretFile, `${secret}\n`);
      const minted = await ask({ sub: "alice", ttlSeconds: 60, broadcast: false, subscribe: ["news/*"] });
      const bad = await ask({ subscribe: ["news//x"] });
      const notJson = await call(stack, CONSOLE_PATHS.token, { method: "POST", body: "sub=alice" });

      // Assess
      expect(open.status).toBe(409);
      expect(minted.status, minted.body).toBe(200);
      const { token } = JSON.parse(minted.body) as { token: string };
      const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), { algorithms: ["HS256"] });
      expect(payload.sub).toBe("alice");
      expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(60);
      expect(payload.fanout).toEqual({ subscribe: ["news/*"], publish: ["**"] });
      expect(bad.status).toBe(400);
      expect(JSON.parse(bad.body).error).toBe('subscribe: "news//x" is not a channel pattern');
      expect(notJson.status).toBe(415);
    } finally {
      await rm(secretFile, { force: true });
    }
  });

  it("streams the connection count and the Lambda's log lines as server-sent events", async () => {
    // Prepare
    const { stack } = suite;

    // Act: read the stream's first chunk(s), then hang up
    const url = new URL(CONSOLE_PATHS.events, consoleUrl(stack.outputs.ws_url));
    const text = await new Promise<string>((resolve, reject) => {
      const req = request(url, (res) => {
        let seen = "";
        res.on("data", (chunk: Buffer) => {
          seen += chunk.toString("utf8");
          if (seen.includes("event: connections")) {
            req.destroy();
            resolve(`${res.headers["content-type"]}\n${seen}`);
          }
        });
      });
      req.on("error", reject);
      req.end();
    });

    // Assess
    expect(text).toMatch(/^text\/event-stream; charset=utf-8\nevent: connections\ndata: 0\n\n/);
  });
});
