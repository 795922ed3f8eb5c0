import { describe, expect, it } from "vitest";
import { recentIds } from "../../client/src/recent-ids.js";
import { setup, socketAt, useFakeTimersPerTest } from "./support.js";

/** De-duplication: a repeat is the same id in the same scope (a channel, or broadcasts), never across scopes. */
describe("de-duplication of delivered messages", () => {
  useFakeTimersPerTest();

  it("delivers the same id on two channels and as a broadcast, and drops a repeat on the same channel", async () => {
    // Prepare
    const { client, sockets } = setup();
    const socket = socketAt(sockets, 0);
    socket.accept();
    const joined = Promise.all([client.subscribe("news/a"), client.subscribe("news/b")]);
    for (const channel of ["news/a", "news/b"]) socket.deliver({ action: "subscribed", channel });
    await joined;
    const delivered: unknown[] = [];
    client.on("message", (m) => delivered.push([m.channel, m.message]));
    client.on("broadcast", (m) => delivered.push(["(broadcast)", m.message]));

    // Act: two publishers that both chose msg-1
    socket.deliver({ channel: "news/a", message: "from A", id: "msg-1" });
    socket.deliver({ channel: "news/b", message: "from B", id: "msg-1" });
    socket.deliver({ message: "broadcast", id: "msg-1" });
    socket.deliver({ channel: "news/a", message: "from A", id: "msg-1" });
    socket.deliver({ message: "broadcast", id: "msg-1" });

    // Assess
    expect(delivered).toEqual([
      ["news/a", "from A"],
      ["news/b", "from B"],
      ["(broadcast)", "broadcast"],
    ]);
  });

  it("remembers at most perScope ids in a scope, the oldest forgotten first", () => {
    // Prepare
    const isNew = recentIds(3, 10);
    for (const id of ["1", "2", "3"]) isNew("a", id);

    // Act
    const repeatWhileRemembered = isNew("a", "1");
    isNew("a", "4");
    // Newest first: asking for an id not remembered remembers it, which evicts the next oldest.
    const afterEviction = ["4", "3", "2", "1"].map((id) => isNew("a", id));

    // Assess
    expect(repeatWhileRemembered).toBe(false);
    expect(afterEviction).toEqual([false, false, false, true]);
  });

  it("keeps a flood on one channel from evicting another's ids, and forgets the least recently active scope", () => {
    // Prepare
    const isNew = recentIds(2, 2);
    isNew("quiet", "q-1");

    // Act
    for (let i = 0; i < 100; i++) isNew("flood", `f-${i}`);
    const quietRepeat = isNew("quiet", "q-1");
    isNew("third", "t-1");
    const quietKept = isNew("quiet", "q-1");
    const floodForgotten = isNew("flood", "f-99");

    // Assess: scopes are bounded too: "flood" was the least recently active when "third" came
    expect(quietRepeat).toBe(false);
    expect(floodForgotten).toBe(true);
    expect(quietKept).toBe(false);
  });
});
