import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";

/** Each test fails once upstream ws no longer needs the patch in util/local-stack/gateway/ws-patches.ts. */
describe("ws upstream still needs the local stack's patches", () => {
  it("ws alone accepts a single 40 KB frame under maxPayload (no per-frame limit): limitFrameSize is needed", async () => {
    // Prepare
    const server = createServer();
    const wss = new WebSocketServer({ server, maxPayload: 128 * 1024 });
    const got = new Promise<number>((resolve) =>
      wss.on("connection", (ws) => ws.on("message", (d: Buffer) => resolve(d.length))),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`);
    try {
      // Act
      await new Promise((resolve) => client.once("open", resolve));
      client.send("x".repeat(40 * 1024));

      // Assess
      expect(await got).toBe(40 * 1024);
    } finally {
      client.terminate();
      wss.close();
      server.close();
    }
  });
});
