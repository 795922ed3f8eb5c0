import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { browserRefusal } from "../../util/local-stack/browser-guard.js";
import { rawSocket, readUntil, upgradeRequest } from "../support/raw-socket.js";
import { accessRecords, readLog, storedConnectionIds, useStack } from "../support/stack.js";
import { eventually } from "../support/wait.js";
import { Client } from "../support/ws-client.js";

/** Fault injection by hostile or broken clients, against one local stack; every count is exact. */
describe("faults: hostile clients", () => {
  const suite = useStack({ maxBufferedBytes: 256 * 1024 });

  it("gives each client that leaves during $connect (50 FIN, 50 RST) exactly one $disconnect and leaves no key", async () => {
    // Prepare
    const { stack, s3 } = suite;
    const before = (await accessRecords(stack, "CONNECT")).length;

    // Act: each sends the upgrade request and leaves before $connect (a Lambda run and an S3 write) can answer.
    await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const socket = await rawSocket(stack);
        socket.on("error", () => undefined);
        socket.write(upgradeRequest(stack));
        if (i % 2 === 0) socket.end();
        else socket.resetAndDestroy();
      }),
    );
    await eventually(
      "every $connect answered",
      async () => (await accessRecords(stack, "CONNECT")).length === before + 100,
    );
    const connects = (await accessRecords(stack, "CONNECT")).slice(before);
    const accepted = connects.filter((r) => r.status === "200").map((r) => r.connectionId);
    await eventually("a $disconnect per accepted connection", async () => {
      const ids = new Set(accepted);
      return (
        (await accessRecords(stack, "DISCONNECT")).filter((r) => ids.has(r.connectionId)).length >=
        accepted.length
      );
    });

    // Assess
    const disconnects = (await accessRecords(stack, "DISCONNECT")).map((r) => r.connectionId);
    expect(accepted).toHaveLength(100);
    for (const id of accepted) expect(disconnects.filter((d) => d === id)).toHaveLength(1);
    expect(await storedConnectionIds(stack, s3)).toEqual([]);
    expect(stack.gateway.connectionCount()).toBe(0);
  });

  it("closes consumers that stop reading once their buffer passes the cap; readers get every message", async () => {
    // Prepare: 4 stalled raw sockets (never read after the handshake) and 2 reading clients.
    const { stack, s3 } = suite;
    const stalled = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const socket = await rawSocket(stack);
        socket.write(upgradeRequest(stack));
        await readUntil(socket, /\r\n\r\n/);
        socket.removeAllListeners("data");
        socket.pause();
        return socket;
      }),
    );
    const readers = await Promise.all([Client.connect(stack.tokenUrl()), Client.connect(stack.tokenUrl())]);
    const ids = await storedConnectionIds(stack, s3);
    const payload = "x".repeat(120 * 1024);

    // Act: 80 messages of 120 KB (9.6 MB) posted to every connection through @connections.
    const statuses = new Map<string, number[]>(ids.map((id) => [id, []]));
    for (let i = 0; i < 80; i++) {
      await Promise.all(
        ids.map((id) =>
          fetch(`${stack.outputs.management_endpoint}/@connections/${encodeURIComponent(id)}`, {
            method: "POST",
            body: payload,
          }).then(async (res) => {
            await res.arrayBuffer();
            statuses.get(id)?.push(res.status);
          }),
        ),
      );
    }
    await eventually("readers got all 80", () => readers.every((r) => r.received.length === 80));
    await eventually("stalled ones closed", () => stack.gateway.connectionCount() === 2);

    // Assess
    expect(readers.map((r) => r.received.length)).toEqual([80, 80]);
    // Once closed, a stalled connection is gone (410): the gateway stops buffering for it.
    const answers = [...statuses.values()];
    expect(answers.filter((a) => a.every((s) => s === 200))).toHaveLength(2);
    expect(answers.filter((a) => a.includes(410) && a.lastIndexOf(200) < a.indexOf(410))).toHaveLength(4);
    const notices = (await readLog(stack.outputs.lambda_log_file)).filter((r) =>
      String(r.message).startsWith("gateway: closed"),
    );
    expect(notices).toHaveLength(4);
    expect(notices[0]?.message).toMatch(/with 1008: \d+ bytes waiting \(limit 262144\)/);
    await eventually("stalled keys removed", async () => (await storedConnectionIds(stack, s3)).length === 2);
    for (const socket of stalled) socket.destroy();
    for (const reader of readers) reader.close();
    await eventually("readers gone", () => stack.gateway.connectionCount() === 0);
  });

  it("answers no subprotocol when $connect returned none, so a client that requires one fails as on AWS", async () => {
    // Prepare
    const { stack } = suite;
    const ws = new WebSocket(stack.tokenUrl(), ["chat", "superchat"]);

    // Act
    const failure = await new Promise<Error>((resolve) => ws.once("error", resolve));

    // Assess
    expect(failure.message).toBe("Server sent no subprotocol");
  });

  it("answers 426 with Sec-WebSocket-Version: 13 to another version", async () => {
    // Prepare
    const { stack } = suite;
    const socket = await rawSocket(stack);

    // Act
    socket.write(upgradeRequest(stack, { "Sec-WebSocket-Version": "12" }));
    const answer = await readUntil(socket, /\r\n\r\n/);

    // Assess
    expect(answer).toMatch(/^HTTP\/1\.1 426 Upgrade Required\r\n/);
    expect(answer).toContain("Sec-WebSocket-Version: 13\r\n");
    socket.destroy();
  });

  it("answers a malformed @connections path with 400 BadRequestException, and a browser Origin with 403", async () => {
    // Prepare
    const { stack } = suite;
    const base = `${stack.outputs.management_endpoint}/@connections`;

    // Act
    const malformed = await fetch(`${base}/%ZZ`, { method: "POST", body: "x" });
    const fromBrowser = await fetch(`${base}/abc`, {
      method: "POST",
      body: "x",
      headers: { Origin: "https://evil.example" },
    });

    // Assess
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get("x-amzn-errortype")).toBe("BadRequestException");
    expect(await malformed.json()).toEqual({ message: "Invalid connectionId" });
    expect(fromBrowser.status).toBe(403);
    expect(fromBrowser.headers.get("x-amzn-errortype")).toBe("ForbiddenException");
    expect(await fromBrowser.json()).toEqual({ message: browserRefusal("https://evil.example") });
  });
});
