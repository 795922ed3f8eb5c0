import { describe, expect, it, vi } from "vitest";
import type { ChannelMessage } from "../../client/src/index.js";
import { type FakeSocket, outcome, settle, setup, socketAt, useFakeTimersPerTest } from "./support.js";

const E = "k3x1";

/** The channel frame of message n at offset n, as the service sends it live and keeps it in the history. */
const at = (n: number, id = `m${n}`) => ({ channel: "news/a", message: { n }, id, offset: n, epoch: E });

/** What `history` resolves with, and a `message` event hands over, for {@link at}(n). */
const delivered = (n: number, id = `m${n}`): ChannelMessage => at(n, id);

/** The service's answer to a history request. */
const answer = (channel: string, ...messages: unknown[]) => ({ action: "history", channel, messages });

/** The history requests a socket sent, parsed. */
const historyRequests = (socket: FakeSocket) =>
  socket.frames().filter((f) => (f as { action?: string }).action === "history");

/** A client on one open socket, recording its `message` events. */
function opened(options: Parameters<typeof setup>[0] = {}) {
  const { client, sockets, errors } = setup(options);
  const socket = socketAt(sockets, 0);
  socket.accept();
  const messages: ChannelMessage[] = [];
  client.on("message", (m) => messages.push(m));
  return { client, sockets, socket, errors, messages };
}

describe("client.history: a channel's newest messages on demand", () => {
  useFakeTimersPerTest();

  it("sends the history request and resolves with the answer's messages, oldest first, as message events hand them over", async () => {
    // Prepare
    const { client, socket, messages, errors } = opened();

    // Act
    const asked = client.history("news/a", { limit: 3 });
    const byDefault = client.history("news/b");
    socket.deliver(answer("news/a", at(4), at(5), at(6)));
    socket.deliver(answer("news/b"));

    // Assess: the wire's frames; the messages with their positions; nothing else emitted
    expect(historyRequests(socket)).toEqual([
      { action: "history", channel: "news/a", limit: 3 },
      { action: "history", channel: "news/b" },
    ]);
    expect(await asked).toEqual([delivered(4), delivered(5), delivered(6)]);
    expect(await byDefault).toEqual([]);
    expect(messages).toEqual([]);
    expect(errors).toEqual([]);
  });

  it.each([
    ["NO_HISTORY", 'This stack keeps no history of "news/a": its history_channels patterns do not match it.'],
    [
      "FORBIDDEN",
      'This connection may not subscribe to "news/a"; connect with a token whose patterns match it.',
    ],
    ["INVALID_LIMIT", '"limit" must be a whole number from 1 to 100 (default 10).'],
    ["INTERNAL_ERROR", "The channel's history could not be read; send the request again."],
  ])("rejects with the service's %s, its text and the request it answers", async (code, message) => {
    // Prepare
    const { client, socket, errors } = opened();
    const asked = outcome(client.history("news/a", { limit: 5 }));

    // Act
    socket.deliver({ error: { code, message, action: "history", channel: "news/a" } });

    // Assess: the request's own rejection, not an error event
    expect(await asked).toMatchObject({
      name: "FanoutError",
      code,
      message,
      action: "history",
      channel: "news/a",
    });
    expect(errors).toEqual([]);
  });

  it("keeps its messages apart from live delivery: none is a message event, and none holds back a live one", async () => {
    // Prepare: subscribed where the history stood at 2; 3 arrives live
    const { client, socket, messages } = opened();
    const joined = client.subscribe("news/a");
    socket.deliver({ action: "subscribed", channel: "news/a", offset: 2, epoch: E });
    await joined;
    socket.deliver(at(3));

    // Act: the history has 4 already, which is still on its way live; then 4 arrives, and 3 again
    const asked = client.history("news/a", { limit: 3 });
    socket.deliver(answer("news/a", at(2), at(3), at(4)));
    const history = await asked;
    socket.deliver(at(4));
    socket.deliver(at(3));

    // Assess: the history as it is; every live message once, in order
    expect(history).toEqual([delivered(2), delivered(3), delivered(4)]);
    expect(messages).toEqual([delivered(3), delivered(4)]);
  });

  it("hands over a message kept twice under one id (an SNS retry) once, at its first position", async () => {
    // Prepare
    const { client, socket } = opened();
    const asked = client.history("news/a");

    // Act: offsets 7 and 8 hold the same message id; an entry that is not a message is no message
    socket.deliver(answer("news/a", at(6), at(7, "sns-1"), at(8, "sns-1"), { note: "no message" }, at(9)));

    // Assess
    expect(await asked).toEqual([delivered(6), delivered(7, "sns-1"), delivered(9)]);
  });

  it("has one request per channel on the wire (the answer names its channel only), each settled by its own answer", async () => {
    // Prepare
    const { client, socket } = opened();

    // Act: two requests on news/a, one on news/b
    const first = client.history("news/a", { limit: 1 });
    const second = client.history("news/a", { limit: 2 });
    const other = client.history("news/b", { limit: 1 });
    const onTheWire = historyRequests(socket).length;
    socket.deliver(answer("news/a", at(9)));
    const afterFirst = historyRequests(socket).slice(onTheWire);
    socket.deliver(answer("news/a", at(8), at(9)));
    socket.deliver(answer("news/b"));

    // Assess: the second went once the first was answered
    expect(onTheWire).toBe(2);
    expect(afterFirst).toEqual([{ action: "history", channel: "news/a", limit: 2 }]);
    expect(await first).toEqual([delivered(9)]);
    expect(await second).toEqual([delivered(8), delivered(9)]);
    expect(await other).toEqual([]);
  });

  it("is sent once a connection opens, and again on the next one when the connection drops before the answer", async () => {
    // Prepare: asked before any connection is open
    const { client, sockets } = setup();
    const asked = client.history("news/a", { limit: 2 });
    socketAt(sockets, 0).accept();

    // Act: the connection drops before the answer; the next one gets it
    socketAt(sockets, 0).serverClose();
    vi.advanceTimersByTime(500);
    socketAt(sockets, 1).accept();
    socketAt(sockets, 1).deliver(answer("news/a", at(1), at(2)));

    // Assess: once on each connection
    const frame = { action: "history", channel: "news/a", limit: 2 };
    expect(historyRequests(socketAt(sockets, 0))).toEqual([frame]);
    expect(historyRequests(socketAt(sockets, 1))).toEqual([frame]);
    expect(await asked).toEqual([delivered(1), delivered(2)]);
  });

  it("is sent on the connection that takes over at a renewal, once it has taken over", async () => {
    // Prepare: a renewal under way (its second connection open, resubscribing news/a)
    const { client, sockets } = setup({ renewAfterMs: [1_000, 1_000] });
    socketAt(sockets, 0).accept();
    const joined = client.subscribe("news/a");
    socketAt(sockets, 0).deliver({ action: "subscribed", channel: "news/a" });
    await joined;
    vi.advanceTimersByTime(1_000);
    await settle();
    socketAt(sockets, 1).accept();

    // Act: asked on the first connection, which closes when the second has resubscribed
    const asked = client.history("news/a");
    socketAt(sockets, 1).deliver({ action: "subscribed", channel: "news/a" });
    socketAt(sockets, 1).deliver(answer("news/a", at(1)));

    // Assess
    expect(historyRequests(socketAt(sockets, 0))).toEqual([{ action: "history", channel: "news/a" }]);
    expect(socketAt(sockets, 0).closedWith).toBe(1000);
    expect(historyRequests(socketAt(sockets, 1))).toEqual([{ action: "history", channel: "news/a" }]);
    expect(await asked).toEqual([delivered(1)]);
  });

  it("rejects with TIMEOUT after requestTimeoutMs while the client cannot connect, and is never sent afterwards", async () => {
    // Prepare: every handshake refused
    const { client, sockets } = setup({ requestTimeoutMs: 2_000 });
    const asked = outcome(client.history("news/a"));
    socketAt(sockets, 0).refuse("Unexpected server response: 401");

    // Act
    await vi.advanceTimersByTimeAsync(2_000);
    const timedOut = await asked;
    const last = sockets.at(-1) as FakeSocket;
    last.accept();

    // Assess: the cause is the refused handshake; the connection that opens later does not send it
    expect(timedOut).toMatchObject({ code: "TIMEOUT", action: "history", channel: "news/a", status: 401 });
    expect((timedOut as Error).message).toMatch(
      /no answer to the history \(channel news\/a\) within 2000 ms/,
    );
    expect(((timedOut as Error).cause as { code?: string }).code).toBe("CONNECT");
    expect(historyRequests(last)).toEqual([]);
  });

  it("sends the channel's next request when the one on the wire times out", async () => {
    // Prepare
    const { client, socket } = opened({ requestTimeoutMs: 2_000 });
    const first = outcome(client.history("news/a", { limit: 1 }));
    vi.advanceTimersByTime(1_000);
    const second = client.history("news/a", { limit: 2 });

    // Act: the first is never answered
    vi.advanceTimersByTime(1_000);
    socket.deliver(answer("news/a", at(8), at(9)));

    // Assess
    expect(await first).toMatchObject({ code: "TIMEOUT" });
    expect(historyRequests(socket)).toEqual([
      { action: "history", channel: "news/a", limit: 1 },
      { action: "history", channel: "news/a", limit: 2 },
    ]);
    expect(await second).toEqual([delivered(8), delivered(9)]);
  });

  it("refuses a frame the gateway would close the connection for before sending it, and rejects with CLOSED on close", async () => {
    // Prepare
    const { client, socket } = opened();

    // Act
    const tooLarge = await outcome(client.history("x".repeat(40_000)));
    const pending = outcome(client.history("news/a"));
    client.close();

    // Assess
    expect(tooLarge).toMatchObject({ code: "FRAME_TOO_LARGE", action: "history", limit: 32_768 });
    expect(await pending).toMatchObject({ code: "CLOSED" });
    expect(historyRequests(socket)).toEqual([{ action: "history", channel: "news/a" }]);
  });
});
