import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ChannelMessage, createClient, type FanoutClient } from "../../client/src/index.js";
import type { Rights } from "../../src/contract/index.js";
import { startTestStack, type TestStack } from "../support/stack.js";
import { eventually } from "../support/wait.js";
import { outcome } from "./support.js";

/** The rights of a page that may read channels it shows, and nothing else. */
const READER: Rights = { broadcast: false, subscribe: ["kept/**"], publish: [] };

/** `client.history` against the real local stack, on Node's global WebSocket. */
describe("client.history against the local stack", () => {
  let stack: TestStack;
  const clients: FanoutClient[] = [];

  beforeAll(async () => {
    // History for kept/** only, so that any other channel is one the stack keeps no history of.
    stack = await startTestStack({ lambdaEnv: { HISTORY_CHANNELS: "kept/**" } });
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await stack?.dispose();
  });

  /** A client with a token of these rights (every right by default). */
  function connect(rights?: Rights): FanoutClient {
    const client = createClient({ url: stack.tokenUrl(rights) });
    clients.push(client);
    return client;
  }

  it("gives a fresh client the messages published before it came, in order, and the live ones after them once", async () => {
    // Prepare: five messages, each accepted before the next is sent (so at positions 1 to 5)
    const publisher = connect();
    for (let n = 1; n <= 5; n++) await publisher.publish("kept/view", { n }, { id: `m-${n}` });
    const reader = connect(READER);
    const live: ChannelMessage[] = [];
    reader.on("message", (m) => live.push(m));

    // Act: the page subscribes, then asks for the history; two more are published
    await reader.subscribe("kept/view");
    const newest = await reader.history("kept/view", { limit: 3 });
    const byDefault = await reader.history("kept/view");
    for (const n of [6, 7]) await publisher.publish("kept/view", { n }, { id: `m-${n}` });
    await eventually("the two live messages", () => live.length >= 2);

    // Assess: the history as published, with its positions; each live message once, none of the history's
    const epoch = newest[0]?.epoch;
    const at = (n: number) => ({ channel: "kept/view", message: { n }, id: `m-${n}`, offset: n, epoch });
    expect(epoch).toEqual(expect.any(String));
    expect(newest).toEqual([at(3), at(4), at(5)]);
    expect(byDefault).toEqual([at(1), at(2), at(3), at(4), at(5)]);
    expect(live).toEqual([at(6), at(7)]);
  });

  it("refuses it without the subscribe right, on a channel without history, and with a limit over 100", async () => {
    // Prepare: one client that may publish to kept/view but not subscribe to it, and one that may
    const publishOnly = connect({ broadcast: false, subscribe: ["other/**"], publish: ["kept/**"] });
    const reader = connect(READER);
    const all = connect();

    // Act
    const forbidden = await outcome(publishOnly.history("kept/view"));
    const noHistory = await outcome(all.history("plain/chat"));
    const tooMany = await outcome(reader.history("kept/view", { limit: 101 }));
    const afterwards = await reader.history("kept/view", { limit: 1 });

    // Assess: each the service's code, for this request, with a text that says what to do
    expect(forbidden).toMatchObject({ name: "FanoutError", code: "FORBIDDEN", action: "history" });
    expect(forbidden).toMatchObject({ channel: "kept/view" });
    expect((forbidden as Error).message).toContain('"fanout.subscribe" patterns');
    expect(noHistory).toMatchObject({ code: "NO_HISTORY", action: "history", channel: "plain/chat" });
    expect((noHistory as Error).message).toContain("history_channels");
    expect(tooMany).toMatchObject({ code: "INVALID_LIMIT", action: "history", channel: "kept/view" });
    expect((tooMany as Error).message).toContain("from 1 to 100");
    expect(afterwards).toHaveLength(1);
  });
});
