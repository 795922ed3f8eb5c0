import { DeleteConnectionCommand } from "@aws-sdk/client-apigatewaymanagementapi";
import { describe, expect, it } from "vitest";
import { type ConnectionState, createClient, type SocketConstructor } from "../../client/src/index.js";
import { storedConnectionIds, useStack } from "../support/stack.js";
import { eventually } from "../support/wait.js";
import { Client, isFrame, isSubscribedTo } from "../support/ws-client.js";

/** The platform WebSocket (Node 24's global), as a browser page would use it. */
const PlatformWebSocket = (globalThis as unknown as { WebSocket: SocketConstructor }).WebSocket;

/** A client on the platform WebSocket that records its state changes with their times. */
function recordedClient(url: string, options: { backoffBaseMs?: number; pingIntervalMs?: number } = {}) {
  const attempts: number[] = [];
  const states: Array<{ state: ConnectionState; at: number }> = [];
  // Every connection attempt constructs a socket: its time is when the client came back, whatever the server did.
  const Recording = class extends (PlatformWebSocket as unknown as new (url: string) => object) {
    constructor(target: string) {
      super(target);
      attempts.push(performance.now());
    }
  } as unknown as SocketConstructor;
  const client = createClient({ url, WebSocket: Recording, ...options });
  client.on("state", (state) => states.push({ state, at: performance.now() }));
  return { client, attempts, states };
}

describe("the client library reconnects by itself after server-side closes (local stack)", () => {
  // A short idle timeout and connection cap: the client's keepalive must beat the first, its reconnect the second.
  const suite = useStack({ idleTimeoutMs: 2_000, maxConnectionMs: 6_000 });

  /** An open library client (fast backoff and keepalive) that records the broadcasts it receives. */
  async function openBroadcastListener() {
    const recorded = recordedClient(suite.stack.tokenUrl(), { backoffBaseMs: 200, pingIntervalMs: 500 });
    suite.track(recorded.client);
    const received: unknown[] = [];
    recorded.client.on("broadcast", (m) => received.push(m.message));
    await eventually("the client is open", () => recorded.client.state === "open");
    return { ...recorded, received };
  }

  it("after @connections DELETE, reconnects and loses no broadcast sent once it is open again (exact count)", async () => {
    // Prepare: one library client, open, and its connection id (only the store knows it)
    const { stack, s3, api } = suite;
    const before = await storedConnectionIds(stack, s3);
    const { client, states, attempts, received } = await openBroadcastListener();
    let id = "";
    await eventually("its connection is stored", async () => {
      id = (await storedConnectionIds(stack, s3)).find((i) => !before.includes(i)) ?? "";
      return id !== "";
    });

    // Act: the server closes it; once the client is open again, 30 broadcasts
    await api.send(new DeleteConnectionCommand({ ConnectionId: id }));
    await eventually("the client noticed the close", () => states.some((s) => s.state === "reconnecting"));
    await eventually("the client is open again", () => client.state === "open");
    // Connected only now: a sender that waited through the reconnect would be closed idle (2 s) under load.
    const sender = await Client.connect(stack.tokenUrl());
    suite.track(sender);
    for (let n = 0; n < 30; n++) sender.send({ action: "broadcast", message: { n } });
    await eventually("30 broadcasts", () => received.length >= 30);
    await sender.roundTrip();
    await client.broadcast("last");
    await eventually("its own last broadcast", () => received.includes("last"));

    // Assess
    expect(attempts).toHaveLength(2);
    expect(states.map((s) => s.state)).toEqual(["open", "reconnecting", "open"]);
    expect(received.filter((m) => m !== "last")).toHaveLength(30);
    expect(new Set(received.map((m) => JSON.stringify(m))).size).toBe(31);
  });

  it("outlives the idle timeout with its keepalive, and reconnects when the connection cap closes it", async () => {
    // Prepare: renewal later than the 6 s cap, so that the cap closes the connection (as API Gateway at 2 hours)
    const { client, states, received } = await openBroadcastListener();

    // Act: wait past the cap (the idle timeout, 2 s, passes three times meanwhile)
    await eventually("the cap closed the connection", () => states.some((s) => s.state === "reconnecting"));
    const closedAt = states.find((s) => s.state === "reconnecting")?.at ?? 0;
    const openedAt = states[0]?.at ?? 0;
    await eventually("the client is open again", () => client.state === "open");
    await client.broadcast("after the cap");
    await eventually("its broadcast after the cap", () => received.includes("after the cap"));

    // Assess: the first connection lived until the cap (not closed idle at 2 s), and the client came back
    expect(closedAt - openedAt).toBeGreaterThan(5_000);
    expect(states.map((s) => s.state)).toEqual(["open", "reconnecting", "open"]);
  });
});

describe("the client library resubscribes by itself and loses no publish after the acknowledgement (needs chan)", () => {
  const suite = useStack({ idleTimeoutMs: 2_000, maxConnectionMs: 6_000 });

  /** A subscribed library client that records channel messages and when each `subscribed` acknowledgement came. */
  async function subscribedClient(channel: string) {
    const recorded = recordedClient(suite.stack.tokenUrl(), { backoffBaseMs: 200, pingIntervalMs: 500 });
    suite.track(recorded.client);
    const messages: Array<{ channel: string; message: unknown; id: string | undefined }> = [];
    const acks: number[] = [];
    recorded.client.on("message", (m) => messages.push(m));
    recorded.client.on("frame", (f) => {
      if (isSubscribedTo(channel)(f)) acks.push(performance.now());
    });
    await recorded.client.subscribe(channel);
    return { ...recorded, channel, messages, acks };
  }

  /** Publishes `count` messages on `channel` from a plain client, each with its own id, and waits for `accepted`. */
  async function publishMany(publisher: Client, channel: string, tag: string, count: number): Promise<void> {
    const from = publisher.received.length;
    for (let n = 0; n < count; n++)
      publisher.send({ action: "publish", channel, message: { tag, n }, id: `${tag}-${n}` });
    for (let n = 0; n < count; n++) {
      await publisher.next(isFrame({ action: "accepted", id: `${tag}-${n}` }), from);
    }
  }

  /**
   * Once the client's resubscription is acknowledged, 50 publishes on its channel from a publisher that connects only
   * now (one that waited through the reconnect would be closed idle at 2 s), all of them received.
   */
  async function publishAfterResubscription(
    subscribed: Awaited<ReturnType<typeof subscribedClient>>,
    idPrefix: string,
  ): Promise<void> {
    const { client, acks, messages, channel } = subscribed;
    await eventually(
      "the resubscription's acknowledgement",
      () => acks.length === 2 && client.state === "open",
    );
    const publisher = suite.track(await Client.connect(suite.stack.tokenUrl()));
    await publishMany(publisher, channel, idPrefix, 50);
    await eventually("50 messages", () => messages.length >= 50);
    await publisher.roundTrip();
  }

  it("after @connections DELETE: resubscribes, then receives every one of 50 publishes (exact, no duplicate)", async () => {
    // Prepare
    const { stack, s3, api } = suite;
    const before = await storedConnectionIds(stack, s3);
    const subscribed = await subscribedClient("room/delete");
    const { client, states, messages } = subscribed;
    let id = "";
    await eventually("its connection is stored", async () => {
      id = (await storedConnectionIds(stack, s3)).find((i) => !before.includes(i)) ?? "";
      return id !== "";
    });
    // Act: the server closes it; once the resubscription is acknowledged, 50 publishes
    await api.send(new DeleteConnectionCommand({ ConnectionId: id }));
    await publishAfterResubscription(subscribed, "after-delete");

    // Assess
    expect(states.map((s) => s.state)).toEqual(["open", "reconnecting", "open"]);
    expect(messages).toHaveLength(50);
    expect(new Set(messages.map((m) => m.id))).toEqual(
      new Set(Array.from({ length: 50 }, (_, n) => `after-delete-${n}`)),
    );
    expect([...client.channels]).toEqual(["room/delete"]);
  });

  it("at the connection cap: resubscribes on the new connection and receives every publish after it (exact)", async () => {
    // Prepare
    const subscribed = await subscribedClient("room/cap");
    const { states, messages } = subscribed;
    // Act: wait for the 6 s cap to close it and for the resubscription; then 50 publishes
    await eventually("the cap closed the connection", () => states.some((s) => s.state === "reconnecting"));
    await publishAfterResubscription(subscribed, "after-cap");

    // Assess
    expect(messages).toHaveLength(50);
    expect(new Set(messages.map((m) => m.id)).size).toBe(50);
    expect(messages.every((m) => m.channel === "room/cap")).toBe(true);
  });
});

describe("1,000 clients dropped at once come back spread out (full-jitter backoff, default 1 s base)", () => {
  const N = 1_000;
  const suite = useStack();

  it("reconnects every client within bounds, the attempts spread over the first backoff window", async () => {
    // Prepare: 1,000 library clients with the default backoff (1 s base, 30 s cap), all open
    const { stack, s3 } = suite;
    // Opened 100 at a time: 1,000 handshakes at once would queue behind the 4 Lambda environments past the
    // library's 15 s handshake deadline, and the test is about the drop, not the first connection.
    const recorded: Array<ReturnType<typeof recordedClient>> = [];
    const openStart = performance.now();
    for (let batch = 0; batch < N / 100; batch++) {
      const fresh = Array.from({ length: 100 }, () => recordedClient(stack.tokenUrl()));
      recorded.push(...fresh);
      suite.trackAll(fresh.map((r) => r.client));
      await eventually("100 clients open", () => fresh.every((r) => r.client.state === "open"), 60_000);
    }
    const openedIn = performance.now() - openStart;
    const ids = await storedConnectionIds(stack, s3);
    expect(ids).toHaveLength(N);

    // Act: close every connection from the server side, as fast as @connections takes it
    const start = performance.now();
    await deleteAll(stack.outputs.management_endpoint, ids);
    const deletedIn = performance.now() - start;
    await eventually(
      `${N} clients open again`,
      () => recorded.every((r) => r.client.state === "open" && r.attempts.length >= 2),
      90_000,
    );
    const backIn = performance.now() - start;

    // Assess: each client's wait between its close and its next attempt is its backoff draw
    const delays = recorded.map((r) => {
      const closedAt = r.states.find((s) => s.state === "reconnecting")?.at ?? Number.NaN;
      return (r.attempts[1] ?? Number.NaN) - closedAt;
    });
    const attemptTimes = recorded.map((r) => (r.attempts[1] ?? Number.NaN) - start).sort((a, b) => a - b);
    const sorted = [...delays].sort((a, b) => a - b);
    const quantile = (q: number) => sorted[Math.floor(q * (sorted.length - 1))] ?? Number.NaN;
    const under100 = delays.filter((d) => d < 100).length;
    const span = (attemptTimes.at(-1) ?? 0) - (attemptTimes[0] ?? 0);
    const retriedAgain = recorded.filter((r) => r.attempts.length > 2).length;
    console.log(
      `1,000 opened in ${openedIn.toFixed(0)} ms; dropped: DELETE all in ${deletedIn.toFixed(0)} ms; backoff delay min ${quantile(0).toFixed(0)} ` +
        `p10 ${quantile(0.1).toFixed(0)} p50 ${quantile(0.5).toFixed(0)} p90 ${quantile(0.9).toFixed(0)} ` +
        `max ${quantile(1).toFixed(0)} ms; ${under100} under 100 ms; attempts span ${span.toFixed(0)} ms; ` +
        `all open again ${backIn.toFixed(0)} ms after the first DELETE; ${retriedAgain} needed a second retry`,
    );
    // Full jitter on the first retry: uniform over [0, 1000) ms (plus timer lateness under load).
    expect(quantile(0)).toBeGreaterThanOrEqual(0);
    expect(quantile(1)).toBeLessThan(1_000 + 500);
    expect(under100).toBeLessThan(N * 0.25); // uniform: about 10 %; all at once would be 100 %
    expect(quantile(0.5)).toBeGreaterThan(250); // uniform: about 500 ms
    expect(quantile(0.9) - quantile(0.1)).toBeGreaterThan(500); // uniform: about 800 ms
    expect(span).toBeGreaterThan(700);
    expect(stack.gateway.connectionCount()).toBe(N);
    expect(backIn).toBeLessThan(90_000);
  }, 240_000);
});

/** DELETE @connections for every id, 100 requests in flight at a time (no Origin: a program, not a page). */
async function deleteAll(endpoint: string, ids: string[]): Promise<void> {
  const queue = [...ids];
  const worker = async () => {
    for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
      const response = await fetch(`${endpoint}/@connections/${encodeURIComponent(id)}`, {
        method: "DELETE",
      });
      await response.arrayBuffer();
      if (response.status !== 204) throw new Error(`DELETE ${id}: HTTP ${response.status}`);
    }
  };
  await Promise.all(Array.from({ length: 100 }, worker));
}
