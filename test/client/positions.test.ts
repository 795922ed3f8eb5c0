import { describe, expect, it, vi } from "vitest";
import type { ChannelMessage, Recovery } from "../../client/src/index.js";
import { type FakeSocket, setup, socketAt, useFakeTimersPerTest } from "./support.js";

const E = "k3x1";

/** The channel frame of message n at offset n (epoch E unless given). */
const at = (n: number, epoch = E, id = `m${n}`) => ({ channel: "news/a", message: n, id, offset: n, epoch });

/** A subscribed client on one open socket, recording messages and recoveries, with the history at `head`. */
async function subscribedAt(head: number, options: { gapWaitMs?: number } = {}) {
  const { client, sockets, errors } = setup({ gapWaitMs: 500, ...options });
  const socket = socketAt(sockets, 0);
  socket.accept();
  const messages: ChannelMessage[] = [];
  const recoveries: Recovery[] = [];
  client.on("message", (m) => messages.push(m));
  client.on("recovery", (r) => recoveries.push(r));
  const done = client.subscribe("news/a");
  socket.deliver({
    action: "subscribed",
    channel: "news/a",
    offset: head,
    ...(head > 0 ? { epoch: E } : {}),
  });
  await done;
  const offsets = () => messages.map((m) => m.offset);
  return { client, sockets, socket, messages, offsets, recoveries, errors };
}

/** The subscribe frames a socket sent, parsed. */
const subscribes = (socket: FakeSocket) =>
  socket.frames().filter((f) => (f as { action?: string }).action === "subscribe");

describe("positions: every message once, in offset order", () => {
  useFakeTimersPerTest();

  it("starts a subscription at the head subscribed names: earlier messages dropped, later ones in order", async () => {
    // Prepare: frames that arrive before the acknowledgement
    const { client, sockets } = setup();
    const socket = socketAt(sockets, 0);
    socket.accept();
    const offsets: Array<number | undefined> = [];
    client.on("message", (m) => offsets.push(m.offset));
    const done = client.subscribe("news/a");

    // Act: 4 and 2 come first (2 was published before the subscription), then subscribed at 2, then 3
    socket.deliver(at(4));
    socket.deliver(at(2));
    socket.deliver({ action: "subscribed", channel: "news/a", offset: 2, epoch: E });
    await done;
    socket.deliver(at(3));

    // Assess
    expect(offsets).toEqual([3, 4]);
  });

  it("holds a message that comes early until the one before it arrives, and drops repeats", async () => {
    // Prepare
    const { socket, offsets, messages } = await subscribedAt(0);

    // Act: concurrent publishes arrive out of order; a renewal's second connection repeats one
    for (const n of [2, 1, 1, 3, 5, 4, 5]) socket.deliver(at(n));

    // Assess
    expect(offsets()).toEqual([1, 2, 3, 4, 5]);
    expect(messages[0]).toEqual({ channel: "news/a", message: 1, id: "m1", offset: 1, epoch: E });
    expect(subscribes(socket)).toHaveLength(1);
  });

  it("asks for a gap after gapWaitMs with since, and delivers what the recovery sends, in order", async () => {
    // Prepare: 1 and 2 delivered, then 4 (3 was lost)
    const { socket, offsets, recoveries } = await subscribedAt(0);
    for (const n of [1, 2, 4]) socket.deliver(at(n));
    vi.advanceTimersByTime(499);
    const askedEarly = subscribes(socket).length;

    // Act: the gap outlives the wait; the service answers with 3 (and 4 again), then subscribed
    vi.advanceTimersByTime(1);
    socket.deliver(at(3));
    socket.deliver(at(4));
    socket.deliver({ action: "subscribed", channel: "news/a", offset: 4, epoch: E, recovered: true });

    // Assess
    expect(askedEarly).toBe(1);
    expect(subscribes(socket).at(-1)).toEqual({
      action: "subscribe",
      channel: "news/a",
      since: { epoch: E, offset: 2 },
    });
    expect(offsets()).toEqual([1, 2, 3, 4]);
    expect(recoveries).toEqual([{ channel: "news/a", complete: true }]);
  });

  it("reports an incomplete recovery and goes on from the head named when the history no longer reaches back", async () => {
    // Prepare: at 2, then 9 arrives
    const { socket, offsets, recoveries } = await subscribedAt(2);
    socket.deliver(at(9));
    vi.advanceTimersByTime(500);

    // Act: the missed messages have expired; the head is 9
    socket.deliver({ action: "subscribed", channel: "news/a", offset: 9, epoch: E, recovered: false });
    socket.deliver(at(10));

    // Assess: 9 was published before the head named, with the lost ones; the app reloads, then gets 10 on
    expect(recoveries).toEqual([{ channel: "news/a", complete: false }]);
    expect(offsets()).toEqual([10]);
  });

  it("treats a new epoch as a gap: the service says whether the old one was complete", async () => {
    // Prepare: at 7 of epoch E; the history expired and began again in epoch F
    const { socket, offsets, recoveries } = await subscribedAt(7);
    socket.deliver(at(1, "k3x9"));
    vi.advanceTimersByTime(500);

    // Act
    socket.deliver({ action: "subscribed", channel: "news/a", offset: 1, epoch: "k3x9", recovered: false });
    socket.deliver(at(2, "k3x9"));

    // Assess
    expect(subscribes(socket).at(-1)).toMatchObject({ since: { epoch: E, offset: 7 } });
    expect(recoveries).toEqual([{ channel: "news/a", complete: false }]);
    expect(offsets()).toEqual([2]);
  });

  it("resubscribes after a drop from the last position delivered, and delivers the recovered ones once", async () => {
    // Prepare
    const { sockets, socket, offsets, recoveries } = await subscribedAt(0, { gapWaitMs: 60_000 });
    for (const n of [1, 2, 3]) socket.deliver(at(n));

    // Act: the connection drops; the next one resubscribes, the service sends 4 and 5, then acknowledges
    socket.serverClose();
    await vi.advanceTimersByTimeAsync(1_000);
    const next = socketAt(sockets, 1);
    next.accept();
    for (const n of [3, 4, 5]) next.deliver(at(n));
    next.deliver({ action: "subscribed", channel: "news/a", offset: 5, epoch: E, recovered: true });
    next.deliver(at(6));

    // Assess
    expect(subscribes(next)).toEqual([
      { action: "subscribe", channel: "news/a", since: { epoch: E, offset: 3 } },
    ]);
    expect(offsets()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(recoveries).toEqual([{ channel: "news/a", complete: true }]);
  });

  it("on RECOVERY_TOO_LARGE reports an incomplete recovery, not an error, and subscribes again without since", async () => {
    // Prepare
    const { socket, offsets, recoveries, errors } = await subscribedAt(3);
    socket.deliver(at(900));
    vi.advanceTimersByTime(500);

    // Act
    socket.deliver({
      error: { code: "RECOVERY_TOO_LARGE", message: "…", action: "subscribe", channel: "news/a" },
    });
    socket.deliver({ action: "subscribed", channel: "news/a", offset: 901, epoch: E });
    socket.deliver(at(902));

    // Assess
    expect(subscribes(socket).at(-1)).toEqual({ action: "subscribe", channel: "news/a" });
    expect(recoveries).toEqual([{ channel: "news/a", complete: false }]);
    expect(errors).toEqual([]);
    expect(offsets()).toEqual([902]);
  });

  it("delivers a message repeated under its id at a new position once (an SNS retry), and moves past it", async () => {
    // Prepare
    const { socket, messages } = await subscribedAt(0);

    // Act
    socket.deliver(at(1, E, "sns-1"));
    socket.deliver(at(2, E, "sns-1"));
    socket.deliver(at(3, E, "sns-2"));

    // Assess
    expect(messages.map((m) => [m.offset, m.id])).toEqual([
      [1, "sns-1"],
      [3, "sns-2"],
    ]);
  });

  it("leaves a channel without history as it was: no position, nothing held, no since", async () => {
    // Prepare
    const { client, sockets } = setup();
    const socket = socketAt(sockets, 0);
    socket.accept();
    const messages: unknown[] = [];
    client.on("message", (m) => messages.push(m.message));
    const done = client.subscribe("plain");

    // Act
    socket.deliver({ channel: "plain", message: "early", id: "p1" });
    socket.deliver({ action: "subscribed", channel: "plain" });
    await done;
    socket.deliver({ channel: "plain", message: "later", id: "p2" });
    socket.serverClose();
    await vi.advanceTimersByTimeAsync(1_000);
    socketAt(sockets, 1).accept();

    // Assess
    expect(messages).toEqual(["early", "later"]);
    expect(subscribes(socketAt(sockets, 1))).toEqual([{ action: "subscribe", channel: "plain" }]);
  });
});
