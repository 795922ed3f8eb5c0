import {
  type ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
} from "@aws-sdk/client-apigatewaymanagementapi";
import type { S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ConnectionState, createClient, type FanoutClient } from "../../client/src/index.js";
import {
  eventually,
  managementClient,
  s3Client,
  startTestStack,
  storedConnectionIds,
  type TestStack,
} from "../e2e/support.js";

/** The client against the real local stack, on Node's global WebSocket (no constructor injected). */
describe("the client library against the local stack", () => {
  let stack: TestStack;
  let s3: S3Client;
  let api: ApiGatewayManagementApiClient;
  const clients: FanoutClient[] = [];

  beforeAll(async () => {
    // A short idle timeout and connection cap, so that keepalive and renewal are exercised in seconds.
    stack = await startTestStack({ idleTimeoutMs: 1_500, maxConnectionMs: 6_000 });
    s3 = s3Client(stack);
    api = managementClient(stack.outputs.management_endpoint);
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    api?.destroy();
    s3?.destroy();
    await stack?.dispose();
  });

  /** The id of the one connection in the store that is not in `before` (the id only the server knows). */
  async function newConnectionId(before: string[]): Promise<string> {
    let id: string | undefined;
    await eventually("exactly one new connection in the store", async () => {
      const ids = (await storedConnectionIds(stack, s3)).filter((i) => !before.includes(i));
      id = ids[0];
      return ids.length === 1;
    });
    return id as string;
  }

  /** A client with a record of its states, broadcasts and frames. */
  function connect(options: { pingIntervalMs?: number; renewAfterMs?: [number, number] } = {}) {
    const client = createClient({
      url: stack.tokenUrl(),
      backoffBaseMs: 100,
      backoffCapMs: 1_000,
      pingIntervalMs: 400,
      pongTimeoutMs: 5_000,
      ...options,
    });
    clients.push(client);
    const states: ConnectionState[] = [];
    const broadcasts: unknown[] = [];
    const frames: unknown[] = [];
    client.on("state", (s) => states.push(s));
    client.on("broadcast", (m) => broadcasts.push(m.message));
    client.on("frame", (f) => frames.push(f));
    return { client, states, broadcasts, frames };
  }

  it("connects, receives its own broadcast, and gets pongs to its keepalive pings", async () => {
    // Prepare
    const { client, broadcasts, frames } = connect();
    await eventually("the client is open", () => client.state === "open");

    // Act
    await client.broadcast({ hello: "from the client library" });
    await eventually("its own broadcast", () => broadcasts.length > 0);
    await eventually("a pong", () => frames.some((f) => JSON.stringify(f) === '{"action":"pong"}'));

    // Assess
    expect(broadcasts).toEqual([{ hello: "from the client library" }]);
    client.close();
  });

  it("reconnects by itself after a server-side close (@connections DELETE) and works again", async () => {
    // Prepare
    const before = await storedConnectionIds(stack, s3);
    const { client, states, broadcasts } = connect();
    await eventually("the client is open", () => client.state === "open");
    const id = await newConnectionId(before);

    // Act
    await api.send(new DeleteConnectionCommand({ ConnectionId: id }));
    await eventually("a reconnect", () => states.length >= 3);
    await client.broadcast("after the reconnect");
    await eventually("the broadcast after the reconnect", () => broadcasts.length > 0);

    // Assess
    expect(states.slice(0, 3)).toEqual(["open", "reconnecting", "open"]);
    expect(broadcasts).toEqual(["after the reconnect"]);
    client.close();
  });

  it("outlives the idle timeout by pinging, and renews ahead of the connection cap without a gap", async () => {
    // Prepare: idle timeout 1.5 s and cap 6 s on the stack; pings every 400 ms, renewal between 2.5 and 3 s.
    const before = await storedConnectionIds(stack, s3);
    const { client, states, broadcasts } = connect({ renewAfterMs: [2_500, 3_000] });
    await eventually("the client is open", () => client.state === "open");
    const first = await newConnectionId(before);

    // Act: 7.5 s is past the idle timeout five times over and past the cap once.
    await new Promise((resolve) => setTimeout(resolve, 7_500));
    await client.broadcast("still here");
    await eventually("the broadcast", () => broadcasts.length > 0);
    const last = await newConnectionId(before);

    // Assess
    expect(last).not.toBe(first);
    expect(states).toEqual(["open"]);
    expect(broadcasts).toEqual(["still here"]);
    client.close();
  });
});
