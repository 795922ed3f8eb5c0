import { describe, expect, it, vi } from "vitest";
import { FanoutError } from "../../client/src/index.js";
import { setup, socketAt, useFakeTimersPerTest } from "./support.js";

/** Requests and deliveries with fake sockets and timers: subscribe, publish, acknowledgements, errors, messages. */
describe("createClient: requests and messages", () => {
  useFakeTimersPerTest();

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

  it.each([
    ["the app leaves", ["subscribe", "unsubscribe"], "unsubscribe"],
    ["the app comes back", ["unsubscribe", "subscribe"], "subscribe"],
  ] as const)(
    "asks again when answers come in the opposite order (%s), and emits nothing of a channel it left",
    async (_, calls, last) => {
      // Prepare: the service ran the two requests in the opposite order, so its final state is the first one's
      const { client, sockets } = setup();
      const socket = socketAt(sockets, 0);
      socket.accept();
      const messages: unknown[] = [];
      client.on("message", (m) => messages.push(m));

      // Act
      const settled = Promise.all(calls.map((call) => client[call]("room")));
      for (const call of [...calls].reverse()) socket.deliver({ action: `${call}d`, channel: "room" });
      await settled;
      socket.deliver({ channel: "room", message: "meanwhile", id: "m-1" });

      // Assess: the request the app made last is sent again, once
      expect(socket.frames()).toEqual([...calls, last].map((action) => ({ action, channel: "room" })));
      expect([...client.channels]).toEqual(last === "subscribe" ? ["room"] : []);
      expect(messages).toEqual(
        last === "subscribe" ? [{ channel: "room", message: "meanwhile", id: "m-1" }] : [],
      );
    },
  );

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

  it("emits channel messages, broadcasts and every raw frame, dropping a repeated id", async () => {
    // Prepare
    const { client, sockets } = setup();
    const socket = socketAt(sockets, 0);
    socket.accept();
    const joined = client.subscribe("news/a");
    socket.deliver({ action: "subscribed", channel: "news/a" });
    await joined;
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
});
