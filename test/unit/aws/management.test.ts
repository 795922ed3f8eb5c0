import type { Agent } from "node:http";
import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from "@aws-sdk/client-apigatewaymanagementapi";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import {
  createManagementClient,
  ManagementSenders,
  MiddlewareNotFoundError,
  managementEndpoint,
  PER_CALL_MIDDLEWARE_REMOVED,
  postToConnection,
  removeMiddleware,
  requireMiddleware,
} from "../../../src/aws/management.js";

interface HandlerSettings {
  requestTimeout: number;
  connectionTimeout: number;
  throwOnRequestTimeout: boolean;
  httpsAgent: Agent;
  httpAgentProvider: () => Promise<Agent>;
}

const api = mockClient(ApiGatewayManagementApiClient);
afterEach(() => {
  api.reset();
});

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

describe("createManagementClient", () => {
  it("targets the endpoint with SDK retries off", async () => {
    // Prepare
    const options = { concurrency: 16, sendTimeoutMs: 1500 };

    // Act
    const client = createManagementClient("http://127.0.0.1:4510/local", { ...options });

    // Assess
    const endpoint = await client.config.endpoint?.();
    expect(endpoint).toMatchObject({ protocol: "http:", hostname: "127.0.0.1", port: 4510, path: "/local" });
    expect(await client.config.maxAttempts()).toBe(1);
  });

  it("uses keep-alive agents sized to the concurrency and the send timeout as the request timeout", async () => {
    // Prepare
    const options = { concurrency: 16, sendTimeoutMs: 1500 };

    // Act
    const client = createManagementClient("https://abc.execute-api.us-east-1.amazonaws.com/prod", options);

    // Assess: NodeHttpHandler keeps its resolved settings in `configProvider` (not public API, but the only view).
    const settings = await (
      client.config.requestHandler as unknown as { configProvider: Promise<HandlerSettings> }
    ).configProvider;
    const httpAgent = await settings.httpAgentProvider();
    expect(settings).toMatchObject({
      requestTimeout: 1500,
      connectionTimeout: 1500,
      throwOnRequestTimeout: true,
    });
    for (const agent of [settings.httpsAgent, httpAgent]) {
      expect(agent).toMatchObject({ keepAlive: true, maxSockets: 16 });
    }
  });

  it("caches the resolved middleware and drops the per-call extras, keeping signing and serde", () => {
    // Prepare
    const options = { concurrency: 4, sendTimeoutMs: 1000 };

    // Act
    const client = createManagementClient("https://abc.execute-api.us-east-1.amazonaws.com/prod", options);

    // Assess
    expect(client.config.cacheMiddleware).toBe(true);
    const names = client.middlewareStack.identify().join("\n");
    for (const removed of PER_CALL_MIDDLEWARE_REMOVED) expect(names).not.toContain(removed);
    for (const kept of [
      "serializerMiddleware",
      "hostHeaderMiddleware",
      "httpSigningMiddleware",
      "deserializerMiddleware",
    ]) {
      expect(names).toContain(kept);
    }
  });
});

describe("removeMiddleware and requireMiddleware", () => {
  it("fails loudly when a name to remove is not in the SDK's stack", () => {
    // Prepare: a misspelt name after the real ones
    const client = new ApiGatewayManagementApiClient({ region: "us-east-1" });
    const names = [...PER_CALL_MIDDLEWARE_REMOVED, "noSuchMiddleware"];

    // Act
    let failure: unknown;
    try {
      removeMiddleware(client.middlewareStack, names);
    } catch (error) {
      failure = error;
    }

    // Assess
    expect(failure).toBeInstanceOf(MiddlewareNotFoundError);
    expect((failure as MiddlewareNotFoundError).middleware).toBe("noSuchMiddleware");
  });

  it("finds every name the tuning removes in a fresh client of the installed SDK", () => {
    // Prepare
    const client = new ApiGatewayManagementApiClient({ region: "us-east-1" });

    // Act
    const attempt = () => removeMiddleware(client.middlewareStack, PER_CALL_MIDDLEWARE_REMOVED);

    // Assess
    expect(attempt).not.toThrow();
    expect(client.middlewareStack.identify().join("\n")).not.toMatch(/loggerMiddleware/);
  });

  it("checks that the middleware it replaces exists", () => {
    // Prepare
    const client = new ApiGatewayManagementApiClient({ region: "us-east-1" });

    // Act
    const present = () => requireMiddleware(client.middlewareStack, "retryMiddleware");
    const missing = () => requireMiddleware(client.middlewareStack, "retryMiddlewareV2");

    // Assess
    expect(present).not.toThrow();
    expect(missing).toThrow(MiddlewareNotFoundError);
  });
});

describe("postToConnection", () => {
  it("sends the bytes to the connection without per-call options, so the middleware cache applies", async () => {
    // Prepare
    api.on(PostToConnectionCommand).resolves({});
    const send = postToConnection(new ApiGatewayManagementApiClient({ region: "us-east-1" }));
    const data = Buffer.from('{"message":1}');

    // Act
    await send("abc=", data, new AbortController().signal);

    // Assess
    const call = api.commandCalls(PostToConnectionCommand)[0];
    expect(call?.args[0].input).toEqual({ ConnectionId: "abc=", Data: data });
    // The mock types `send` with one argument; a second one (options) would bypass the SDK's middleware cache.
    expect((call?.args as unknown[] | undefined)?.[1]).toBeUndefined();
  });

  it("rejects with the SDK's error", async () => {
    // Prepare
    api.on(PostToConnectionCommand).rejects(Object.assign(new Error("gone"), { name: "GoneException" }));
    const send = postToConnection(new ApiGatewayManagementApiClient({ region: "us-east-1" }));

    // Act
    const outcome = send("abc=", Buffer.from("{}"), new AbortController().signal);

    // Assess
    await expect(outcome).rejects.toMatchObject({ name: "GoneException" });
  });
});

describe("ManagementSenders", () => {
  it("builds one client per endpoint and reuses it", () => {
    // Prepare
    const built: string[] = [];
    const senders = new ManagementSenders({ concurrency: 4, sendTimeoutMs: 1000 }, (endpoint, options) => {
      built.push(`${endpoint} ${options.concurrency}`);
      return new ApiGatewayManagementApiClient({ region: "us-east-1", endpoint });
    });

    // Act
    const first = senders.for("https://a/prod");
    const again = senders.for("https://a/prod");
    const other = senders.for("https://b/prod");

    // Assess
    expect(again).toBe(first);
    expect(other).not.toBe(first);
    expect(built).toEqual(["https://a/prod 4", "https://b/prod 4"]);
  });
});
