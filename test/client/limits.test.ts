import { describe, expect, it, vi } from "vitest";
import { MAX_FRAME_BYTES, MAX_MESSAGE_BYTES } from "../../client/src/index.js";
import { outcome, setup, socketAt, useFakeTimersPerTest } from "./support.js";

/** A message string that makes a publish frame on channel `a` with id `p-1` exactly `bytes` long. */
function messageForFrame(bytes: number): string {
  const overhead = JSON.stringify({ action: "publish", channel: "a", message: "", id: "p-1" }).length;
  return "x".repeat(bytes - overhead);
}

/** The poison message. Frames the platform would not deliver are refused before sending. */
describe("createClient: frames the platform would not deliver", () => {
  useFakeTimersPerTest();

  it("refuses a frame over the gateway's frame limit on a WebSocket that cannot fragment, naming the limit", async () => {
    // Prepare
    const { client, sockets, states } = setup();
    socketAt(sockets, 0).accept();

    // Act
    const atLimit = outcome(client.publish("a", messageForFrame(MAX_FRAME_BYTES), { id: "p-1" }));
    const over = await outcome(client.publish("a", messageForFrame(MAX_FRAME_BYTES + 1), { id: "p-2" }));
    const overWithoutId = await outcome(client.broadcast("é".repeat(MAX_FRAME_BYTES / 2)));
    socketAt(sockets, 0).deliver({ action: "accepted", id: "p-1" });

    // Assess
    expect(await atLimit).toBe("resolved");
    expect(over).toMatchObject({
      code: "FRAME_TOO_LARGE",
      limit: MAX_FRAME_BYTES,
      action: "publish",
      id: "p-2",
    });
    expect((over as Error).message).toBe(
      `the publish frame is ${MAX_FRAME_BYTES + 1} bytes; this WebSocket sends it as one frame, and API Gateway closes the connection on a frame over ${MAX_FRAME_BYTES} bytes (MAX_FRAME_BYTES): send a smaller message, or a WebSocket that fragments (option canFragment)`,
    );
    expect(overWithoutId).toMatchObject({ code: "FRAME_TOO_LARGE", limit: MAX_FRAME_BYTES });
    expect(socketAt(sockets, 0).sent.map((frame) => new TextEncoder().encode(frame).length)).toEqual([
      MAX_FRAME_BYTES,
    ]);
    expect(states).toEqual(["open"]);
  });

  it("sends up to the message limit when the WebSocket fragments, and refuses over it always", async () => {
    // Prepare
    const { client, sockets } = setup({ canFragment: true });
    socketAt(sockets, 0).accept();

    // Act
    const atLimit = outcome(client.publish("a", messageForFrame(MAX_MESSAGE_BYTES), { id: "p-1" }));
    const over = await outcome(client.publish("a", messageForFrame(MAX_MESSAGE_BYTES + 1), { id: "p-2" }));

    // Assess
    expect(over).toMatchObject({ code: "PAYLOAD_TOO_LARGE", limit: MAX_MESSAGE_BYTES, id: "p-2" });
    expect(socketAt(sockets, 0).sent.map((frame) => frame.length)).toEqual([MAX_MESSAGE_BYTES]);
    client.close();
    expect(await atLimit).toMatchObject({ code: "CLOSED" });
  });

  it("refuses a subscribe whose frame is too large, and does not keep the channel", async () => {
    // Prepare
    const { client, sockets } = setup();
    socketAt(sockets, 0).accept();

    // Act
    const refused = await outcome(client.subscribe("c".repeat(MAX_FRAME_BYTES)));

    // Assess
    expect(refused).toMatchObject({ code: "FRAME_TOO_LARGE", action: "subscribe" });
    expect(client.channels.size).toBe(0);
    expect(socketAt(sockets, 0).sent).toEqual([]);
  });

  it("gives up on an acknowledgement after maxResends connections closed under it, with the close code", async () => {
    // Prepare: whatever closes the connection (here 1009, as the gateway does for a frame too large) does it again
    const { client, sockets, states } = setup({ maxResends: 2, canFragment: true });
    const poisoned = outcome(client.publish("a", "m", { id: "p-1" }));

    // Act
    for (let i = 0; i < 5; i++) {
      const socket = sockets.at(-1);
      socket?.accept();
      if (socket?.sent.length) socket.serverClose(1009);
      await vi.advanceTimersByTimeAsync(1_000);
    }

    // Assess
    expect(await poisoned).toMatchObject({ code: "NOT_ACCEPTED", action: "publish", id: "p-1" });
    expect(((await poisoned) as Error).message).toBe(
      "the publish p-1 was sent on 3 connections that all closed before it was accepted (last close code 1009); it is not sent again (maxResends)",
    );
    expect(sockets.map((s) => s.frames().length)).toEqual([1, 1, 1, 0]);
    expect(states.filter((s) => s === "open")).toHaveLength(4);
    expect(client.state).toBe("open");
  });

  it("does not count a renewal, which the client asked for, against maxResends", async () => {
    // Prepare
    const { client, sockets } = setup({ maxResends: 0, renewAfterMs: [1_000, 1_000], pingIntervalMs: 1e9 });
    socketAt(sockets, 0).accept();
    const published = outcome(client.publish("a", "m", { id: "p-1" }));

    // Act
    await vi.advanceTimersByTimeAsync(1_000);
    socketAt(sockets, 1).accept();
    socketAt(sockets, 1).deliver({ action: "accepted", id: "p-1" });

    // Assess
    expect(await published).toBe("resolved");
    expect(sockets.map((s) => s.frames().length)).toEqual([1, 1]);
  });
});
