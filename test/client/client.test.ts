import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type ClientOptions, type ConnectionState, createClient, FanoutError } from "../../client/index.js";
import { fakeWebSocket, socketAt } from "./fake-socket.js";

/** A client on fake sockets with a fixed random source, recording its states. */
function setup(options: Partial<ClientOptions> = {}) {
  const fake = fakeWebSocket();
  const client = createClient({
    url: "wss://example.test/prod",
    WebSocket: fake.WebSocket,
    random: () => 0.5,
    ...options,
  });
  const states: ConnectionState[] = [];
  client.on("state", (s) => states.push(s));
  return { client, sockets: fake.sockets, states };
}

/** Lets the token provider's promise and the client's continuation run. */
async function settle(): Promise<void> {
  await vi.advanceTimersByTimeAsync(0);
}

describe("createClient", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it("goes connecting -> open -> reconnecting -> open -> closed", () => {
    // Prepare
    const { client, sockets, states } = setup();
    const first = client.state;

    // Act
    socketAt(sockets, 0).accept();
    socketAt(sockets, 0).serverClose();
    vi.advanceTimersByTime(500);
    socketAt(sockets, 1).accept();
    client.close();

    // Assess
    expect(first).toBe("connecting");
    expect(states).toEqual(["open", "reconnecting", "open", "closed"]);
    expect(socketAt(sockets, 1).closedWith).toBe(1000);
  });

  it("waits a full-jitter backoff before each retry, doubling up to the cap, and starts over once open", () => {
    // Prepare: random 0.5 gives half of min(cap, base * 2^n): 500, 1000, 2000, 2000 (cap 4000), ...
    const { sockets } = setup({ backoffBaseMs: 1_000, backoffCapMs: 4_000 });
    socketAt(sockets, 0).refuse();
    const waits: number[] = [];

    // Act
    for (let i = 1; i <= 5; i++) {
      let waited = 0;
      while (sockets.length === i) {
        vi.advanceTimersByTime(10);
        waited += 10;
      }
      waits.push(waited);
      if (i < 5) socketAt(sockets, i).refuse();
    }
    socketAt(sockets, 5).accept();
    socketAt(sockets, 5).serverClose();
    vi.advanceTimersByTime(499);
    const beforeFirstDelay = sockets.length;
    vi.advanceTimersByTime(1);

    // Assess
    expect(waits).toEqual([500, 1_000, 2_000, 2_000, 2_000]);
    expect(beforeFirstDelay).toBe(6);
    expect(sockets).toHaveLength(7);
  });

  it("resubscribes every channel once reconnected", async () => {
    // Prepare
    const { client, sockets } = setup();
    socketAt(sockets, 0).accept();
    const subscribed = Promise.all([client.subscribe("news/a"), client.subscribe("news/b")]);
    socketAt(sockets, 0).deliver({ action: "subscribed", channel: "news/a" });
    socketAt(sockets, 0).deliver({ action: "subscribed", channel: "news/b" });
    await subscribed;

    // Act
    socketAt(sockets, 0).serverClose();
    vi.advanceTimersByTime(500);
    socketAt(sockets, 1).accept();

    // Assess
    expect(socketAt(sockets, 1).frames()).toEqual([
      { action: "subscribe", channel: "news/a" },
      { action: "subscribe", channel: "news/b" },
    ]);
    expect([...client.channels]).toEqual(["news/a", "news/b"]);
  });

  it("asks the token provider again for every attempt after a refused handshake", async () => {
    // Prepare
    const tokens = ["expired.jwt", "fresh.jwt"];
    const token = vi.fn(async () => tokens.shift() ?? "none");
    const { sockets } = setup({ url: "wss://example.test/prod?x=1", token });
    await settle();

    // Act
    socketAt(sockets, 0).refuse();
    await vi.advanceTimersByTimeAsync(500);
    socketAt(sockets, 1).accept();

    // Assess
    expect(token).toHaveBeenCalledTimes(2);
    expect(socketAt(sockets, 0).url).toBe("wss://example.test/prod?x=1&token=expired.jwt");
    expect(socketAt(sockets, 1).url).toBe("wss://example.test/prod?x=1&token=fresh.jwt");
  });

  it("retries with backoff when the token provider fails, and reports it as an error", async () => {
    // Prepare
    let calls = 0;
    const errors: FanoutError[] = [];
    const { client, sockets } = setup({
      token: async () => {
        calls++;
        if (calls === 1) throw new Error("auth server down");
        return "t";
      },
    });
    client.on("error", (e) => errors.push(e));
    await settle();

    // Act
    await vi.advanceTimersByTimeAsync(500);

    // Assess
    expect(errors.map((e) => e.code)).toEqual(["CONNECT"]);
    expect(client.state).toBe("reconnecting");
    expect(sockets.map((s) => s.url)).toEqual(["wss://example.test/prod?token=t"]);
  });

  it("pings every interval and replaces a link whose pong does not come in time", () => {
    // Prepare
    const { client, sockets, states } = setup({ pingIntervalMs: 1_000, pongTimeoutMs: 300 });
    const socket = socketAt(sockets, 0);
    socket.accept();

    // Act
    vi.advanceTimersByTime(1_000);
    const firstPing = socket.frames();
    socket.deliver({ action: "pong" });
    vi.advanceTimersByTime(999);
    const answered = client.state;
    vi.advanceTimersByTime(1);
    const secondPing = socket.frames();
    vi.advanceTimersByTime(299);
    const beforeDeadline = client.state;
    vi.advanceTimersByTime(1);

    // Assess
    expect(firstPing).toEqual([{ action: "ping" }]);
    expect(answered).toBe("open");
    expect(secondPing).toEqual([{ action: "ping" }, { action: "ping" }]);
    expect(beforeDeadline).toBe("open");
    expect(states).toEqual(["open", "reconnecting"]);
    expect(socket.closedWith).not.toBeNull();
    vi.advanceTimersByTime(500);
    expect(sockets).toHaveLength(2);
  });

  it("abandons a handshake that does not finish within connectTimeoutMs", () => {
    // Prepare
    const { sockets, states } = setup({ connectTimeoutMs: 2_000 });

    // Act
    vi.advanceTimersByTime(2_000);
    vi.advanceTimersByTime(500);

    // Assess
    expect(socketAt(sockets, 0).closedWith).not.toBeNull();
    expect(states).toEqual(["reconnecting"]);
    expect(sockets).toHaveLength(2);
  });

  it("renews at a random moment in renewAfterMs, opening and resubscribing the new link before closing the old", async () => {
    // Prepare: random 0.5 puts the renewal halfway between 100 and 115 minutes.
    const { client, sockets, states } = setup({ renewAfterMs: [6_000_000, 6_900_000], pingIntervalMs: 1e9 });
    const old = socketAt(sockets, 0);
    old.accept();
    const subscribed = client.subscribe("news/a");
    old.deliver({ action: "subscribed", channel: "news/a" });
    await subscribed;
    const received: unknown[] = [];
    client.on("message", (m) => received.push(m.message));

    // Act
    vi.advanceTimersByTime(6_449_999);
    const beforeMoment = sockets.length;
    vi.advanceTimersByTime(1);
    const renewal = socketAt(sockets, 1);
    renewal.accept();
    const oldOpenDuringOverlap = old.closedWith;
    old.deliver({ channel: "news/a", message: "m1", id: "i1" });
    renewal.deliver({ channel: "news/a", message: "m1", id: "i1" });
    renewal.deliver({ action: "subscribed", channel: "news/a" });
    old.deliver({ channel: "news/a", message: "late", id: "i2" });
    renewal.deliver({ channel: "news/a", message: "m2", id: "i3" });

    // Assess
    expect(beforeMoment).toBe(1);
    expect(renewal.frames()).toEqual([{ action: "subscribe", channel: "news/a" }]);
    expect(oldOpenDuringOverlap).toBeNull();
    expect(old.closedWith).toBe(1000);
    expect(received).toEqual(["m1", "m2"]);
    expect(states).toEqual(["open"]);
    expect(client.state).toBe("open");
  });

  it("spreads renewal moments over the whole range", () => {
    // Prepare
    const moments: number[] = [];

    for (const r of [0, 0.25, 0.999]) {
      const { sockets } = setup({ renewAfterMs: [1_000, 2_000], random: () => r, pingIntervalMs: 1e9 });
      socketAt(sockets, 0).accept();

      // Act
      let waited = 0;
      while (sockets.length === 1 && waited < 3_000) {
        vi.advanceTimersByTime(1);
        waited++;
      }
      moments.push(waited);
    }

    // Assess
    expect(moments).toEqual([1_000, 1_250, 1_999]);
  });

  it("turns an error frame into a typed error on the matching request, and reports unmatched ones", async () => {
    // Prepare
    const { client, sockets } = setup();
    const socket = socketAt(sockets, 0);
    socket.accept();
    const errors: FanoutError[] = [];
    client.on("error", (e) => errors.push(e));
    const other = client.subscribe("news/ok");

    // Act
    const refused = client.subscribe("secret/x").catch((e: unknown) => e);
    socket.deliver({
      error: {
        code: "FORBIDDEN",
        message: "token lacks the right",
        action: "subscribe",
        channel: "secret/x",
      },
    });
    socket.deliver({ error: { code: "UNKNOWN_ACTION", message: "unknown action" } });
    const error = await refused;
    socket.deliver({ action: "subscribed", channel: "news/ok" });
    await other;

    // Assess
    expect(error).toBeInstanceOf(FanoutError);
    expect(error).toMatchObject({ code: "FORBIDDEN", action: "subscribe", channel: "secret/x" });
    expect([...client.channels]).toEqual(["news/ok"]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: "UNKNOWN_ACTION", message: "unknown action" });
  });

  it("resolves a publish with an id on accepted, re-sending it after a reconnect until then", async () => {
    // Prepare
    const { client, sockets } = setup();
    socketAt(sockets, 0).accept();

    // Act
    const accepted = client.publish("news/a", { n: 1 }, { id: "p-1" });
    socketAt(sockets, 0).serverClose();
    vi.advanceTimersByTime(500);
    socketAt(sockets, 1).accept();
    socketAt(sockets, 1).deliver({ action: "accepted", id: "p-1" });
    await accepted;

    // Assess
    const frame = { action: "publish", channel: "news/a", message: { n: 1 }, id: "p-1" };
    expect(socketAt(sockets, 0).frames()).toEqual([frame]);
    expect(socketAt(sockets, 1).frames()).toEqual([frame]);
  });

  it("sends a publish with an id made when the state turns open once, and frames queued before it first", () => {
    // Prepare: what waited for a connection, and a listener that publishes as soon as it is open
    const { client, sockets } = setup();
    void client.publish("news/a", "queued", { id: "q-1" });
    client.on("state", (state) => {
      if (state === "open") void client.publish("news/a", "on open", { id: "o-1" });
    });

    // Act
    socketAt(sockets, 0).accept();

    // Assess: each once, the queued one first
    expect(socketAt(sockets, 0).frames()).toEqual([
      { action: "publish", channel: "news/a", message: "queued", id: "q-1" },
      { action: "publish", channel: "news/a", message: "on open", id: "o-1" },
    ]);
  });

  it("rejects a publish whose id the service refused, and an invalid id before sending it", async () => {
    // Prepare
    const { client, sockets } = setup();
    socketAt(sockets, 0).accept();

    // Act
    const refused = client.broadcast("x", { id: "b-1" }).catch((e: unknown) => e);
    socketAt(sockets, 0).deliver({
      error: { code: "PAYLOAD_TOO_LARGE", message: "too large", action: "broadcast", id: "b-1" },
    });
    const invalid = await client.broadcast("x", { id: "not valid!" }).catch((e: unknown) => e);

    // Assess
    expect(await refused).toMatchObject({ code: "PAYLOAD_TOO_LARGE", id: "b-1" });
    expect(invalid).toMatchObject({ code: "INVALID_ID" });
    expect(socketAt(sockets, 0).frames()).toEqual([{ action: "broadcast", message: "x", id: "b-1" }]);
  });

  it("queues frames sent while down and sends them once open, after the resubscriptions", () => {
    // Prepare
    const { client, sockets } = setup();
    void client.subscribe("news/a");

    // Act
    void client.broadcast({ hello: 1 });
    void client.publish("news/a", "m");
    socketAt(sockets, 0).accept();

    // Assess
    expect(socketAt(sockets, 0).frames()).toEqual([
      { action: "subscribe", channel: "news/a" },
      { action: "broadcast", message: { hello: 1 } },
      { action: "publish", channel: "news/a", message: "m" },
    ]);
  });

  it("emits channel messages, broadcasts and every raw frame, dropping a repeated id", () => {
    // Prepare
    const { client, sockets } = setup();
    const socket = socketAt(sockets, 0);
    socket.accept();
    const messages: unknown[] = [];
    const broadcasts: unknown[] = [];
    const frames: unknown[] = [];
    client.on("message", (m) => messages.push(m));
    client.on("broadcast", (m) => broadcasts.push(m));
    const off = client.on("frame", (f) => frames.push(f));

    // Act
    socket.deliver({ channel: "news/a", message: { n: 1 }, id: "x1" });
    socket.deliver({ channel: "news/a", message: { n: 1 }, id: "x1" });
    socket.deliver({ message: "hi" });
    socket.deliver({ message: "hi", id: "b1" });
    socket.deliver("not json");
    off();
    socket.deliver({ message: "after off" });

    // Assess
    expect(messages).toEqual([{ channel: "news/a", message: { n: 1 }, id: "x1" }]);
    expect(broadcasts).toEqual([
      { message: "hi", id: undefined },
      { message: "hi", id: "b1" },
      { message: "after off", id: undefined },
    ]);
    expect(frames).toHaveLength(5);
    expect(frames[4]).toBe("not json");
  });

  it("unsubscribes: resolves on unsubscribed, and at once while no connection is open", async () => {
    // Prepare
    const { client, sockets } = setup();

    // Act
    await client.unsubscribe("news/offline");
    socketAt(sockets, 0).accept();
    const done = client.unsubscribe("news/a");
    socketAt(sockets, 0).deliver({ action: "unsubscribed", channel: "news/a" });
    await done;

    // Assess
    expect(socketAt(sockets, 0).frames()).toEqual([{ action: "unsubscribe", channel: "news/a" }]);
  });

  it("reconnect() renews an open connection at once, and skips the backoff while down", () => {
    // Prepare
    const { client, sockets, states } = setup({ backoffBaseMs: 60_000 });
    socketAt(sockets, 0).accept();

    // Act
    client.reconnect();
    socketAt(sockets, 1).accept();
    socketAt(sockets, 1).serverClose();
    client.reconnect();

    // Assess
    expect(socketAt(sockets, 0).closedWith).toBe(1000);
    expect(sockets).toHaveLength(3);
    expect(states).toEqual(["open", "reconnecting"]);
  });

  it("rejects every pending request with CLOSED on close, and stays closed", async () => {
    // Prepare
    const { client, sockets } = setup();
    socketAt(sockets, 0).accept();
    const pending = [client.subscribe("news/a"), client.publish("news/a", 1, { id: "p" })].map((p) =>
      p.catch((e: unknown) => e),
    );

    // Act
    client.close();
    vi.advanceTimersByTime(60_000);
    const errors = await Promise.all(pending);

    // Assess
    expect(errors.map((e) => (e as FanoutError).code)).toEqual(["CLOSED", "CLOSED"]);
    expect(client.state).toBe("closed");
    expect(sockets).toHaveLength(1);
  });
});
