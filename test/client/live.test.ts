import {
  type ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
} from "@aws-sdk/client-apigatewaymanagementapi";
import type { S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import {
  type ClientOptions,
  type ConnectionState,
  createClient,
  type FanoutClient,
  type FanoutError,
  MAX_FRAME_BYTES,
} from "../../client/src/index.js";
import {
  managementClient,
  s3Client,
  startTestStack,
  storedConnectionIds,
  type TestStack,
} from "../support/stack.js";
import { eventually, WAIT_MS } from "../support/wait.js";
import { outcome } from "./support.js";

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

  /** A client with a record of its states, broadcasts, channel messages, frames and error events. */
  function connect(options: Partial<ClientOptions> = {}) {
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
    const messages: unknown[] = [];
    const frames: unknown[] = [];
    const errors: FanoutError[] = [];
    client.on("state", (s) => states.push(s));
    client.on("broadcast", (m) => broadcasts.push(m.message));
    client.on("message", (m) => messages.push([m.channel, m.id, m.message]));
    client.on("frame", (f) => frames.push(f));
    client.on("error", (e) => errors.push(e));
    return { client, states, broadcasts, messages, frames, errors };
  }

  /** What a promise settled with, or `unsettled` if it did not within {@link WAIT_MS}. */
  async function settledWithin(promise: Promise<unknown>): Promise<unknown> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bound = new Promise((resolve) => {
      timer = setTimeout(resolve, WAIT_MS, "unsettled");
    });
    try {
      return await Promise.race([outcome(promise), bound]);
    } finally {
      clearTimeout(timer);
    }
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

  it("refuses a 40 KB publish with an id before sending it (it used to close the connection with 1009, forever)", async () => {
    // Prepare: Node's built-in WebSocket sends a message as one frame, as browsers do
    const before = await storedConnectionIds(stack, s3);
    const { client, states, messages } = connect();
    await eventually("the client is open", () => client.state === "open");
    await client.subscribe("big/a");
    const id = await newConnectionId(before);

    // Act
    const refused = await settledWithin(client.publish("big/a", "x".repeat(40_000), { id: "big-1" }));
    await client.publish("big/a", "small", { id: "small-1" });
    await eventually("the small message", () => messages.length > 0);

    // Assess: refused at once, naming the limit; the same connection carried on
    expect(refused).toMatchObject({ code: "FRAME_TOO_LARGE", limit: MAX_FRAME_BYTES, id: "big-1" });
    expect(messages).toEqual([["big/a", "small-1", "small"]]);
    expect(states).toEqual(["open"]);
    expect(await newConnectionId(before)).toBe(id);
    client.close();
  });

  it("delivers msg-1 from two publishers on two channels (one of them used to be dropped as a repeat)", async () => {
    // Prepare
    const receiver = connect();
    const publisherA = connect();
    const publisherB = connect();
    await eventually("all open", () =>
      [receiver, publisherA, publisherB].every((c) => c.client.state === "open"),
    );
    await Promise.all([receiver.client.subscribe("two/a"), receiver.client.subscribe("two/b")]);

    // Act
    await publisherA.client.publish("two/a", "from A", { id: "msg-1" });
    await publisherB.client.publish("two/b", "from B", { id: "msg-1" });
    await eventually("both messages", () => receiver.messages.length >= 2);
    await receiver.client.broadcast("after", { id: "after-1" });
    await eventually("the broadcast after them", () => receiver.broadcasts.length > 0);

    // Assess
    expect(receiver.messages.sort()).toEqual([
      ["two/a", "msg-1", "from A"],
      ["two/b", "msg-1", "from B"],
    ]);
    for (const c of [receiver, publisherA, publisherB]) c.client.close();
  });

  it("reports a refused handshake as CONNECT: no status from Node's WebSocket, 401 from the ws package", async () => {
    // Prepare: a token the stack's authorizer refuses
    const options = { url: stack.outputs.ws_url, token: () => "not-a-token", requestTimeoutMs: 2_000 };

    // Act
    const builtIn = connect(options);
    const withWs = connect({ ...options, WebSocket: WebSocket as unknown as ClientOptions["WebSocket"] });
    const subscribed = await settledWithin(withWs.client.subscribe("any/a"));
    await eventually("errors from both", () => builtIn.errors.length > 0 && withWs.errors.length > 0);

    // Assess
    expect(builtIn.errors[0]).toMatchObject({ code: "CONNECT", status: undefined });
    expect(builtIn.errors[0]?.message).toMatch(/closed before it opened \(close code 1006\).*access log/);
    expect(withWs.errors[0]).toMatchObject({ code: "CONNECT", status: 401 });
    expect(subscribed).toMatchObject({ code: "TIMEOUT", status: 401, channel: "any/a" });
    expect(JSON.stringify([builtIn.errors, withWs.errors].flat().map((e) => e.message))).not.toContain(
      "not-a-token",
    );
    expect([builtIn.states[0], withWs.states[0]]).toEqual(["reconnecting", "reconnecting"]);
    builtIn.client.close();
    withWs.client.close();
  });
});
