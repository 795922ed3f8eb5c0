import { afterEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import type { AccessLogRecord } from "../../util/local-stack/gateway/access-log.js";
import type { AuthorizerRequest, WebSocketEvent } from "../../util/local-stack/gateway/events.js";
import { type Gateway, startGateway } from "../../util/local-stack/gateway/gateway.js";
import type { InvokeOutcome } from "../../util/local-stack/lambda/execution-environment.js";

/**
 * The gateway alone, in front of a stand-in function that returns what a `$connect` integration may return (the
 * project's own function never sets a subprotocol): API Gateway answers the handshake with the subprotocol the
 * integration's `Sec-WebSocket-Protocol` header names, and with none otherwise.
 */
describe("faults: subprotocols chosen by $connect", () => {
  let gateway: Gateway | undefined;
  afterEach(async () => {
    await gateway?.stop();
    gateway = undefined;
  });

  async function gatewayReturning(headers: Record<string, string> | undefined): Promise<string> {
    const result = { statusCode: 200, ...(headers ? { headers } : {}) };
    gateway = await startGateway({
      host: "127.0.0.1",
      port: 0,
      stage: "local",
      apiId: "local00api",
      routes: new Set(["$connect", "$disconnect", "$default"]),
      idleTimeoutMs: 60_000,
      maxConnectionMs: 60_000,
      integrationTimeoutMs: 5000,
      managementDelayMs: 0,
      managementRateLimit: 0,
      maxBufferedBytes: 1024 * 1024,
      invoke: async (
        event: WebSocketEvent | AuthorizerRequest,
        started: () => void,
      ): Promise<InvokeOutcome> => {
        started();
        const ok = { status: "ok" as const, requestId: event.requestContext.requestId };
        return event.requestContext.eventType === "CONNECT"
          ? { ...ok, result }
          : { ...ok, result: { statusCode: 200 } };
      },
      accessLog: (_record: AccessLogRecord) => undefined,
      notice: () => undefined,
    });
    return `ws://127.0.0.1:${gateway.port}/local`;
  }

  function open(url: string, protocols: string[]): Promise<{ protocol: string } | { error: string }> {
    return new Promise((resolve) => {
      const ws = new WebSocket(url, protocols);
      ws.once("open", () => {
        resolve({ protocol: ws.protocol });
        ws.close();
      });
      ws.once("error", (error) => resolve({ error: error.message }));
    });
  }

  it("echoes the subprotocol $connect returned in Sec-WebSocket-Protocol (any header case)", async () => {
    // Prepare
    const url = await gatewayReturning({ "sec-websocket-protocol": "superchat" });

    // Act
    const opened = await open(url, ["chat", "superchat"]);

    // Assess
    expect(opened).toEqual({ protocol: "superchat" });
  });

  it("answers no subprotocol when $connect returned none, so a client that asked for one fails", async () => {
    // Prepare
    const url = await gatewayReturning(undefined);

    // Act
    const opened = await open(url, ["chat"]);

    // Assess
    expect(opened).toEqual({ error: "Server sent no subprotocol" });
  });
});
