import { DeleteConnectionCommand } from "@aws-sdk/client-apigatewaymanagementapi";
import { describe, expect, it } from "vitest";
import {
  type ChannelMessage,
  createClient,
  type FanoutClient,
  type Recovery,
  type SocketConstructor,
} from "../../client/src/index.js";
import { connectWithId, storedConnectionIds, useStack } from "../support/stack.js";
import { eventually } from "../support/wait.js";

/** The platform WebSocket (Node 24's global), as a browser page would use it. */
const PlatformWebSocket = (globalThis as unknown as { WebSocket: SocketConstructor }).WebSocket;

const CLIENTS = 200;
const RATE = 20;
const SECONDS = 60;
const MESSAGES = RATE * SECONDS;
/** Publishes sent and not yet acknowledged, at most. */
const IN_FLIGHT = 8;
/** One client dropped (@connections DELETE) or renewed (`reconnect()`, a second connection first) this often. */
const CHAOS_EVERY_MS = 500;

/** A library client that records what it delivers and every recovery. */
interface Subscriber {
  client: FanoutClient;
  messages: ChannelMessage[];
  recoveries: Recovery[];
}

describe("recovery under churn: 200 library clients dropped and renewed at random while 20 messages a second flow", () => {
  const suite = useStack();

  it("delivers every one of 1,200 messages to every client exactly once and in order, with no incomplete recovery", async () => {
    // Prepare: the publisher first (its connection is the one never dropped), then 200 subscribers whose token
    // provider is asked before every connection
    const { stack, s3, api } = suite;
    const channel = "live/feed";
    const { client: publisher, id: publisherId } = await connectWithId(stack, s3);
    suite.track(publisher);
    let tokensAsked = 0;
    const token = () => {
      tokensAsked += 1;
      return new URL(stack.tokenUrl()).searchParams.get("token") ?? "";
    };
    const subscribers: Subscriber[] = [];
    for (let batch = 0; batch < CLIENTS / 50; batch++) {
      const fresh = Array.from({ length: 50 }, (): Subscriber => {
        const client = createClient({ url: stack.outputs.ws_url, token, WebSocket: PlatformWebSocket });
        const subscriber: Subscriber = { client, messages: [], recoveries: [] };
        client.on("message", (m) => subscriber.messages.push(m));
        client.on("recovery", (r) => subscriber.recoveries.push(r));
        return subscriber;
      });
      suite.trackAll(fresh.map((s) => s.client));
      await Promise.all(fresh.map((s) => s.client.subscribe(channel)));
      subscribers.push(...fresh);
    }

    // Act: publish on a fixed schedule while, every half second, one random client is dropped or renewed
    let drops = 0;
    let renewals = 0;
    let chaosRunning = true;
    const chaos = (async () => {
      for (let tick = 0; chaosRunning; tick++) {
        await new Promise((resolve) => setTimeout(resolve, CHAOS_EVERY_MS));
        if (tick % 2 === 0) {
          const ids = (await storedConnectionIds(stack, s3)).filter((id) => id !== publisherId);
          const id = ids[Math.floor(Math.random() * ids.length)];
          if (id === undefined) continue;
          // A client may have left on its own meanwhile (a renewal): a 410 is fine.
          await api.send(new DeleteConnectionCommand({ ConnectionId: id })).then(
            () => drops++,
            () => undefined,
          );
        } else {
          const { client } = subscribers[Math.floor(Math.random() * CLIENTS)] as Subscriber;
          if (client.state !== "open") continue;
          client.reconnect();
          renewals += 1;
        }
      }
    })();
    const start = performance.now();
    const acknowledged = () =>
      publisher.received.filter((f) => (f as { action?: string }).action === "accepted").length;
    for (let n = 0; n < MESSAGES; n++) {
      const due = start + (n * 1000) / RATE;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
      // A publisher that waits for its acknowledgements: at most IN_FLIGHT unanswered, so that a machine slower
      // than the rate makes it late rather than queueing every later request (reconnects included) behind it.
      await eventually("the publisher's acknowledgements", () => acknowledged() >= n - IN_FLIGHT, 60_000);
      publisher.send({ action: "publish", channel, message: n, id: `p-${n}` });
    }
    const publishedIn = performance.now() - start;
    chaosRunning = false;
    await chaos;
    await eventually(
      "every client has every message",
      () => subscribers.every((s) => s.messages.length >= MESSAGES),
      120_000,
    );
    const drainedIn = performance.now() - start;
    // A repeat would come after the last one: give it a moment to show.
    await new Promise((resolve) => setTimeout(resolve, 1_000));

    // Assess: exact, per client, and nothing reported lost
    const expected = Array.from({ length: MESSAGES }, (_, n) => n);
    const accepted = publisher.received.filter((f) => (f as { action?: string }).action === "accepted");
    const recoveries = subscribers.flatMap((s) => s.recoveries);
    console.log(
      `${CLIENTS} clients, ${MESSAGES} messages in ${Math.round(publishedIn)} ms, all delivered after ` +
        `${Math.round(drainedIn)} ms; ${drops} drops, ${renewals} renewals, ${tokensAsked} tokens asked, ` +
        `${recoveries.length} recoveries (${recoveries.filter((r) => !r.complete).length} incomplete)`,
    );
    expect(accepted).toHaveLength(MESSAGES);
    // The channel's order is its positions' (the claims' order; a publisher with several publishes in flight may see
    // two of its own swapped): every client has every position once, in order, and the same message at each.
    const reference = subscribers[0]?.messages.map((m) => m.id);
    for (const { messages } of subscribers) {
      expect(messages.map((m) => m.offset)).toEqual(expected.map((n) => n + 1));
      expect(messages.map((m) => m.id)).toEqual(reference);
    }
    expect(new Set(reference)).toEqual(new Set(expected.map((n) => `p-${n}`)));
    expect(recoveries.filter((r) => !r.complete)).toEqual([]);
    // The churn happened, and the clients came back from where they were: a drop or a renewal resubscribes with
    // since (a recovery), on a connection made with a fresh token. (Not one each, exactly: a DELETE may hit a
    // renewal's second connection, and a renewal asked for while another runs is the same one.)
    expect(drops).toBeGreaterThan(SECONDS / 2);
    expect(renewals).toBeGreaterThan(SECONDS / 2);
    expect(recoveries.length).toBeGreaterThan(SECONDS);
    expect(tokensAsked).toBeGreaterThan(CLIENTS + SECONDS);
  }, 300_000);
});
