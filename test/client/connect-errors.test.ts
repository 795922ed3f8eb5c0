import { describe, expect, it, vi } from "vitest";
import { outcome, settle, setup, socketAt, useFakeTimersPerTest } from "./support.js";

/** Why the client cannot connect: the `error` event of every failed attempt, and requests bounded in time. */
describe("createClient: reporting why it cannot connect", () => {
  useFakeTimersPerTest();

  it("reports each refused handshake as CONNECT, with the HTTP status when the WebSocket says it (ws)", async () => {
    // Prepare
    const { sockets, errors, states } = setup({
      url: "wss://example.test/prod?x=1",
      token: () => "secret.jwt",
    });
    await settle();

    // Act
    socketAt(sockets, 0).refuse("Unexpected server response: 401");
    await vi.advanceTimersByTimeAsync(500);
    socketAt(sockets, 1).refuse("Unexpected server response: 503");
    await settle();

    // Assess
    expect(errors.map((e) => [e.code, e.status])).toEqual([
      ["CONNECT", 401],
      ["CONNECT", 503],
    ]);
    expect(errors[0]?.message).toBe(
      "cannot connect to wss://example.test/prod: the handshake was refused with HTTP 401 (the token is missing, invalid or expired)",
    );
    expect(errors.map((e) => e.message).join()).not.toContain("secret.jwt");
    expect(states).toEqual(["reconnecting"]);
  });

  it("reports a refusal without a status as a browser gives it (no message, close 1006), pointing at the access log", async () => {
    // Prepare
    const { sockets, errors } = setup();

    // Act
    socketAt(sockets, 0).refuse();
    await settle();

    // Assess
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: "CONNECT", status: undefined });
    expect(errors[0]?.message).toBe(
      "cannot connect to wss://example.test/prod: the connection closed before it opened (close code 1006); this WebSocket does not say why (browsers never do): the API's access log does",
    );
  });

  it("quotes what the WebSocket says when it is not a status (ws: nothing listens)", async () => {
    // Prepare
    const { sockets, errors } = setup();

    // Act
    socketAt(sockets, 0).refuse("connect ECONNREFUSED 127.0.0.1:9");
    await settle();

    // Assess
    expect(errors.map((e) => [e.status, e.message])).toEqual([
      [
        undefined,
        "cannot connect to wss://example.test/prod: the connection failed before it opened: connect ECONNREFUSED 127.0.0.1:9 (close code 1006)",
      ],
    ]);
  });

  it("reports a handshake that times out, and nothing for a connection that opened and then closed", async () => {
    // Prepare
    const { sockets, errors } = setup({ connectTimeoutMs: 2_000 });

    // Act
    await vi.advanceTimersByTimeAsync(2_000);
    await vi.advanceTimersByTimeAsync(500);
    socketAt(sockets, 1).accept();
    socketAt(sockets, 1).serverClose();
    await settle();

    // Assess
    expect(errors.map((e) => e.message)).toEqual([
      "cannot connect to wss://example.test/prod: the handshake did not finish within 2000 ms (connectTimeoutMs)",
    ]);
  });

  it("reports a throwing token provider with its error as the cause", async () => {
    // Prepare
    const failure = new Error("auth server down");
    const { errors } = setup({
      token: () => {
        throw failure;
      },
    });

    // Act
    await settle();

    // Assess
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      code: "CONNECT",
      message: "cannot connect to wss://example.test/prod: the token provider failed: auth server down",
      cause: failure,
    });
  });

  it("reports a throwing WebSocket constructor, even on the first attempt, without the token in the text", async () => {
    // Prepare
    const thrown = new SyntaxError("The URL 'wss://example.test/prod?token=t0ken' is invalid");
    const Throwing = class {
      constructor() {
        throw thrown;
      }
    };

    // Act
    const { errors, states } = setup({ WebSocket: Throwing as never, token: () => "t0ken" });
    await settle();

    // Assess
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toBe(
      "cannot connect to wss://example.test/prod: the WebSocket constructor threw: The URL 'wss://example.test/prod?token=<token>' is invalid",
    );
    expect(errors[0]?.cause).toBe(thrown);
    expect(states).toEqual(["reconnecting"]);
  });

  it("reports a constructor that throws synchronously (no token) once the caller could listen", async () => {
    // Prepare
    const Throwing = class {
      constructor() {
        throw new TypeError("blocked by policy");
      }
    };

    // Act: setup() adds its listener after createClient returned
    const { errors } = setup({ WebSocket: Throwing as never });
    await settle();

    // Assess
    expect(errors.map((e) => e.message)).toEqual([
      "cannot connect to wss://example.test/prod: the WebSocket constructor threw: blocked by policy",
    ]);
  });

  it("rejects a subscribe and a publish made while it cannot connect with TIMEOUT after requestTimeoutMs, with the cause", async () => {
    // Prepare: every attempt refused with 401
    const { client, sockets } = setup({ requestTimeoutMs: 5_000, backoffCapMs: 1_000 });
    socketAt(sockets, 0).refuse("Unexpected server response: 401");
    const subscribed = outcome(client.subscribe("news/a"));
    const published = outcome(client.publish("news/a", "m", { id: "p-1" }));
    const queued = outcome(client.broadcast("no id"));

    // Act: 4,999 ms of refused attempts, then the bound
    for (let i = 0; i < 49; i++) {
      await vi.advanceTimersByTimeAsync(100);
      sockets.at(-1)?.refuse("Unexpected server response: 401");
    }
    await vi.advanceTimersByTimeAsync(99);
    const early = [client.channels.size, sockets.length > 2];
    await vi.advanceTimersByTimeAsync(1);
    sockets.at(-1)?.accept();

    // Assess
    const errors = await Promise.all([subscribed, published, queued]);
    expect(early).toEqual([1, true]);
    expect(errors.map((e) => (e as { code: string }).code)).toEqual(["TIMEOUT", "TIMEOUT", "TIMEOUT"]);
    expect(errors[0]).toMatchObject({ action: "subscribe", channel: "news/a", status: 401 });
    expect((errors[0] as Error).message).toBe(
      "no answer to the subscribe (channel news/a) within 5000 ms (requestTimeoutMs); the client cannot connect: cannot connect to wss://example.test/prod: the handshake was refused with HTTP 401 (the token is missing, invalid or expired)",
    );
    expect((errors[1] as Error).cause).toMatchObject({ code: "CONNECT", status: 401 });
    expect(client.channels.size).toBe(0);
    expect(sockets.at(-1)?.sent).toEqual([]);
  });

  it("rejects a request the open connection never answers with TIMEOUT, without a connection failure", async () => {
    // Prepare
    const { client, sockets } = setup({ requestTimeoutMs: 5_000 });
    socketAt(sockets, 0).accept();

    // Act
    const subscribed = outcome(client.subscribe("news/a"));
    await vi.advanceTimersByTimeAsync(5_000);

    // Assess
    const error = (await subscribed) as Error;
    expect(error).toMatchObject({ code: "TIMEOUT", status: undefined });
    expect(error.message).toBe(
      "no answer to the subscribe (channel news/a) within 5000 ms (requestTimeoutMs)",
    );
    expect(error.cause).toBeUndefined();
    expect([...client.channels]).toEqual([]);
  });

  it("undoes a subscription the service confirms after its subscribe timed out", async () => {
    // Prepare
    const { client, sockets } = setup({ requestTimeoutMs: 5_000 });
    const socket = socketAt(sockets, 0);
    socket.accept();
    const subscribed = outcome(client.subscribe("news/a"));
    await vi.advanceTimersByTimeAsync(5_000);

    // Act
    socket.deliver({ action: "subscribed", channel: "news/a" });

    // Assess
    expect(await subscribed).toMatchObject({ code: "TIMEOUT" });
    expect(socket.frames()).toEqual([
      { action: "subscribe", channel: "news/a" },
      { action: "unsubscribe", channel: "news/a" },
    ]);
  });

  it("resolves a publish without an id once it is sent, not when it is queued", async () => {
    // Prepare
    const { client, sockets } = setup();
    let settled = false;
    const published = client.publish("news/a", "m").then(() => {
      settled = true;
    });

    // Act
    await settle();
    const whileDown = settled;
    socketAt(sockets, 0).accept();
    await published;

    // Assess
    expect(whileDown).toBe(false);
    expect(socketAt(sockets, 0).frames()).toEqual([{ action: "publish", channel: "news/a", message: "m" }]);
  });
});
