import { createServer, type Server, type Socket } from "node:net";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { ACCESS_LOG_FORMAT } from "../../src/contract/index.js";
import { newAwsId } from "../../util/local-stack/aws-ids.js";
import { PortInUseError } from "../../util/local-stack/index.js";
import { keysUnder, readLog, storedConnectionIds, useStack, useStacks } from "../support/stack.js";
import { eventually } from "../support/wait.js";
import { Client, HandshakeRefused, isGatewayError } from "../support/ws-client.js";

/** A TCP server that accepts connections and never answers: a store that hangs. */
async function blackHole(): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port on which nothing listens: a store that is down. */
async function closedPortUrl(): Promise<string> {
  const hole = await blackHole();
  await hole.close();
  return hole.url;
}

describe("connection lifecycle", () => {
  const suite = useStack();

  it("removes the connection's key from S3 when the client disconnects", async () => {
    // Prepare
    const { stack, s3 } = suite;
    const before = await storedConnectionIds(stack, s3);
    const client = await Client.connect(stack.tokenUrl());
    const [added] = (await storedConnectionIds(stack, s3)).filter((id) => !before.includes(id));

    // Act
    client.ws.close(1000, "done");
    await eventually(
      "key removed",
      async () => !(await storedConnectionIds(stack, s3)).includes(added ?? "?"),
    );

    // Assess
    expect(added).toBeDefined();
    const disconnect = (await readLog(stack.outputs.access_log_file)).find(
      (r) => r.eventType === "DISCONNECT" && r.connectionId === added,
    );
    expect(disconnect).toMatchObject({ routeKey: "$disconnect", status: "200", integrationError: "-" });
    // The same fields, in the same order, as the deployed stage's access log.
    expect(Object.keys(disconnect ?? {})).toEqual(Object.keys(ACCESS_LOG_FORMAT));
  });

  it("removes a stale key (no live connection) on the next fan-out, and still delivers to the others", async () => {
    // Prepare
    const { stack, s3 } = suite;
    const stale = "StaleConnAAAAA0=";
    await s3.send(
      new PutObjectCommand({
        Bucket: stack.outputs.connection_bucket,
        Key: `${stack.outputs.connection_prefix}/${stale}`,
        Body: "",
        ContentLength: 0,
      }),
    );
    const client = await Client.connect(stack.tokenUrl());

    // Act
    client.send({ action: "broadcast", message: "sweep" });
    await client.next((f) => JSON.stringify(f) === '{"message":"sweep"}');
    await eventually(
      "stale key removed",
      async () => !(await storedConnectionIds(stack, s3)).includes(stale),
    );

    // Assess
    expect(await storedConnectionIds(stack, s3)).not.toContain(stale);
    client.close();
  });
  it("lists keys page by page in S3's order, each key once (mixed case and '=' as in connection ids)", async () => {
    // Prepare
    const { stack, s3 } = suite;
    const keys = [
      ...Array.from({ length: 60 }, () => newAwsId()),
      "aB=",
      "Ab=",
      "a-b",
      "a_b",
      "A=",
      "a=",
    ].map((id) => `pagination/${id}`);
    await Promise.all(
      keys.map((Key) =>
        s3.send(
          new PutObjectCommand({ Bucket: stack.outputs.connection_bucket, Key, Body: "", ContentLength: 0 }),
        ),
      ),
    );

    // Act: pages of 7 keys, each continued with the token the last one gave
    const listed = await keysUnder(stack, s3, "pagination/", 7);

    // Assess
    expect(listed).toEqual([...new Set(keys)].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
  });
});

describe("failures of the function", () => {
  const stacks = useStacks();

  it("refuses the handshake with the function's 5xx when the store is down", async () => {
    // Prepare
    const stack = await stacks.start({ lambdaEnv: { AWS_ENDPOINT_URL_S3: await closedPortUrl() } });

    // Act
    const refused = await Client.connect(stack.tokenUrl()).catch((error: unknown) => error);

    // Assess
    expect(refused).toBeInstanceOf(HandshakeRefused);
    expect((refused as HandshakeRefused).status).toBe(500);
    expect(stack.gateway.connectionCount()).toBe(0);
  });

  it("refuses the handshake with 504 when $connect runs past the function timeout", async () => {
    // Prepare
    const hole = await blackHole();
    stacks.track(hole);
    const stack = await stacks.start({
      lambdaTimeoutMs: 1500,
      lambdaEnv: { AWS_ENDPOINT_URL_S3: hole.url },
    });

    // Act
    const refused = await Client.connect(stack.tokenUrl()).catch((error: unknown) => error);

    // Assess
    expect((refused as HandshakeRefused).status).toBe(504);
    const access = await readLog(stack.outputs.access_log_file);
    expect(access).toContainEqual(
      expect.objectContaining({
        eventType: "CONNECT",
        status: "504",
        errorMessage: "Endpoint request timed out",
      }),
    );
    const lambda = await readLog(stack.outputs.lambda_log_file);
    expect(lambda).toContainEqual(expect.objectContaining({ message: "Task timed out after 1.50 seconds" }));
  });

  it("tells the sender 'Endpoint request timed out' when a message runs past the timeout, then recovers", async () => {
    // Prepare
    const stack = await stacks.start({ lambdaTimeoutMs: 1500 });
    const client = await Client.connect(stack.tokenUrl());
    stack.gateway.setManagementDelayMs(4000);

    // Act
    client.send({ action: "broadcast", message: "slow" });
    const answer = await client.next(isGatewayError);
    stack.gateway.setManagementDelayMs(0);
    await client.roundTrip();

    // Assess
    expect(answer).toMatchObject({ message: "Endpoint request timed out", connectionId: expect.any(String) });
    const access = await readLog(stack.outputs.access_log_file);
    expect(access).toContainEqual(expect.objectContaining({ routeKey: "broadcast", status: "504" }));
    const reports = (await readLog(stack.outputs.lambda_log_file)).filter(
      (r) => r.type === "platform.report",
    );
    expect(reports.map((r) => (r.record as { status: string }).status)).toContain("timeout");
    client.close();
  });

  it("closes idle connections and connections past the maximum duration with 1001 Going away", async () => {
    // Prepare
    const stack = await stacks.start({ idleTimeoutMs: 1500, maxConnectionMs: 4000 });
    const [idle, busy] = await Promise.all([
      Client.connect(stack.tokenUrl()),
      Client.connect(stack.tokenUrl()),
    ]);
    const keepBusy = setInterval(() => busy.send({ action: "ping" }), 300);

    // Act
    const idleClosed = await idle.closed;
    const busyClosed = await busy.closed.finally(() => clearInterval(keepBusy));

    // Assess
    expect(idleClosed).toEqual({ code: 1001, reason: "Going away" });
    expect(busyClosed).toEqual({ code: 1001, reason: "Going away" });
    expect(busy.received.filter((f) => JSON.stringify(f) === '{"action":"pong"}').length).toBeGreaterThan(3);
    await eventually("both $disconnect logged", async () => {
      const access = await readLog(stack.outputs.access_log_file);
      return access.filter((r) => r.eventType === "DISCONNECT" && r.status === "200").length === 2;
    });
  });
});

describe("start and stop", () => {
  const stacks = useStacks();

  it("closes clients with 1001 on stop and starts again on the same ports", async () => {
    // Prepare
    const first = await stacks.start();
    const client = await Client.connect(first.tokenUrl());
    const gatewayPort = Number(new URL(first.outputs.ws_url).port);
    const emulatorPort = Number(new URL(first.outputs.s3_endpoint).port);

    // Act
    await first.stop();
    const closed = await client.closed;
    const second = await stacks.start({ gatewayPort, emulatorPort });
    const again = await Client.connect(second.tokenUrl());
    await again.roundTrip();

    // Assess
    expect(closed.code).toBe(1001);
    expect(second.outputs.ws_url).toBe(first.outputs.ws_url);
    expect(second.outputs.s3_endpoint).toBe(first.outputs.s3_endpoint);
    again.close();
  });

  it("refuses to start on a port in use with a PortInUseError naming it", async () => {
    // Prepare
    const running = await stacks.start();
    const gatewayPort = Number(new URL(running.outputs.ws_url).port);
    const emulatorPort = Number(new URL(running.outputs.s3_endpoint).port);

    // Act
    const onGateway = await stacks.start({ gatewayPort }).catch((error: unknown) => error);
    const onEmulator = await stacks.start({ emulatorPort }).catch((error: unknown) => error);

    // Assess
    expect(onGateway).toBeInstanceOf(PortInUseError);
    expect((onGateway as Error).message).toContain(`127.0.0.1:${gatewayPort}`);
    expect(onEmulator).toBeInstanceOf(PortInUseError);
    expect((onEmulator as Error).message).toContain(`emulator port 127.0.0.1:${emulatorPort}`);
  });
});
