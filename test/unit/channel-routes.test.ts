import { describe, expect, it } from "vitest";
import { parseFrame, runAction } from "../../src/actions.js";
import type { Capabilities } from "../../src/capabilities.js";
import { withMembershipCleanup } from "../../src/channel-fanout.js";
import { ALL_RIGHTS, MAX_SUBSCRIPTIONS_PER_CONNECTION } from "../../src/contract/index.js";
import { createDispatch, storeAudience } from "../../src/dispatch.js";
import type { Send } from "../../src/fanout.js";
import { rejectFrame } from "../../src/routes/reply.js";
import { deliverSnsToChannel } from "../../src/routes/sns-channel.js";
import type { MessageDependencies, RouteResult } from "../../src/routes/types.js";
import { RecordingLog } from "./support/log.js";
import { MemoryMemberships } from "./support/memberships.js";
import { MemoryStore } from "./support/store.js";

const SENDER = "Ek02Ofq8IAMCEyw=";

/** Runs a client's frame as the handler does: the route table's parser, then the action's use case. */
function handle(deps: MessageDependencies, text: string, connectionId = SENDER): Promise<RouteResult> {
  const frame = parseFrame(text, false);
  return frame.ok
    ? runAction(deps, connectionId, frame.request)
    : rejectFrame(deps, connectionId, frame.rejection);
}

/** Rights that allow subscribing to and publishing on `public/**` only. */
const PUBLIC_ONLY: Capabilities = { broadcast: false, subscribe: ["public/**"], publish: ["public/**"] };

/** Dependencies over in-memory stores and a send that records frames; `gone` ids answer 410. */
function setup(
  options: {
    connections?: string[];
    channels?: Record<string, string[]>;
    gone?: string[];
    rights?: Capabilities;
  } = {},
) {
  const store = new MemoryStore([SENDER, ...(options.connections ?? [])]);
  const memberships = new MemoryMemberships(options.channels);
  const log = new RecordingLog();
  const received: Array<[string, string]> = [];
  const gone = new Set(options.gone ?? []);
  const send: Send = async (connectionId, data) => {
    if (gone.has(connectionId)) {
      throw Object.assign(new Error("gone"), { name: "GoneException", $metadata: { httpStatusCode: 410 } });
    }
    received.push([connectionId, Buffer.from(data).toString("utf8")]);
  };
  const cleanStore = withMembershipCleanup(store, memberships);
  const deps: MessageDependencies = {
    store: cleanStore,
    memberships,
    send,
    log,
    fanout: { concurrency: 4, sendTimeoutMs: 1000 },
    rights: options.rights ?? ALL_RIGHTS,
    // No queue: every fan-out inline, as these routes ran before shards.
    dispatch: createDispatch(
      {
        source: storeAudience(cleanStore, memberships),
        store: cleanStore,
        send,
        endpoint: "https://api.example/primary",
        queue: undefined,
        log,
        dispatchId: "test",
      },
      { shards: 1, inlineMax: 1000, fanout: { concurrency: 4, sendTimeoutMs: 1000 } },
    ),
  };
  const to = (connectionId: string) => received.filter(([id]) => id === connectionId).map(([, text]) => text);
  return { deps, store, memberships, log, received, to };
}

describe("subscribe", () => {
  it("stores the membership, then acknowledges it", async () => {
    // Prepare
    const { deps, memberships, to } = setup();
    // Act
    const result = await handle(deps, '{"action":"subscribe","channel":"news/x"}');
    // Assess
    expect(result).toEqual({ statusCode: 200 });
    expect(memberships.of("news/x")).toEqual([SENDER]);
    expect(to(SENDER)).toEqual(['{"action":"subscribed","channel":"news/x"}']);
  });

  it("is idempotent: subscribing twice keeps one membership and acknowledges twice", async () => {
    // Prepare
    const { deps, memberships, to } = setup();
    const request = '{"action":"subscribe","channel":"news"}';
    // Act
    await handle(deps, request);
    await handle(deps, request);
    // Assess
    expect(memberships.of("news")).toEqual([SENDER]);
    expect(to(SENDER)).toHaveLength(2);
  });

  it("refuses without the right: FORBIDDEN with context, nothing stored", async () => {
    // Prepare
    const { deps, memberships, to } = setup({ rights: PUBLIC_ONLY });
    // Act
    const result = await handle(deps, '{"action":"subscribe","channel":"private/x"}');
    await handle(deps, '{"action":"subscribe","channel":"public/x"}');
    // Assess
    expect(result).toEqual({ statusCode: 200 });
    expect([...memberships.channels.keys()]).toEqual(["public/x"]);
    const error = JSON.parse(to(SENDER)[0] ?? "{}").error;
    expect(error).toMatchObject({ code: "FORBIDDEN", action: "subscribe", channel: "private/x" });
    expect(error.message).toContain("fanout.subscribe");
  });

  it("refuses an invalid channel (a wildcard) with INVALID_CHANNEL, even with every right", async () => {
    // Prepare
    const { deps, memberships, to } = setup();
    // Act
    await handle(deps, '{"action":"subscribe","channel":"news/*"}');
    // Assess
    expect(memberships.channels.size).toBe(0);
    expect(JSON.parse(to(SENDER)[0] ?? "{}").error).toMatchObject({
      code: "INVALID_CHANNEL",
      action: "subscribe",
      channel: "news/*",
    });
  });

  it(`refuses a subscription past ${MAX_SUBSCRIPTIONS_PER_CONNECTION}, but not one already held`, async () => {
    // Prepare
    const held = Object.fromEntries(
      Array.from({ length: MAX_SUBSCRIPTIONS_PER_CONNECTION }, (_, index) => [`c${index}`, [SENDER]]),
    );
    const { deps, memberships, to } = setup({ channels: held });
    // Act
    await handle(deps, '{"action":"subscribe","channel":"one-more"}');
    await handle(deps, '{"action":"subscribe","channel":"c7"}');
    // Assess
    expect(memberships.of("one-more")).toEqual([]);
    const [refused, again] = to(SENDER);
    expect(JSON.parse(refused ?? "{}").error).toMatchObject({
      code: "TOO_MANY_SUBSCRIPTIONS",
      action: "subscribe",
      channel: "one-more",
    });
    expect(again).toBe('{"action":"subscribed","channel":"c7"}');
  });

  it("answers INTERNAL_ERROR and 500 when the store fails, without acknowledging", async () => {
    // Prepare
    const { deps, memberships, log, to } = setup();
    memberships.failWith = new Error("S3 down");
    // Act
    const result = await handle(deps, '{"action":"subscribe","channel":"news"}');
    // Assess
    expect(result.statusCode).toBe(500);
    expect(JSON.parse(to(SENDER)[0] ?? "{}").error).toMatchObject({
      code: "INTERNAL_ERROR",
      channel: "news",
    });
    expect(log.find("storing the subscription failed")).toHaveLength(1);
  });
});

describe("unsubscribe", () => {
  it("removes the membership and acknowledges, also when there was none", async () => {
    // Prepare
    const { deps, memberships, to } = setup({ channels: { news: [SENDER, "other="] } });
    const request = '{"action":"unsubscribe","channel":"news"}';
    // Act
    await handle(deps, request);
    await handle(deps, request);
    // Assess
    expect(memberships.of("news")).toEqual(["other="]);
    expect(to(SENDER)).toEqual([
      '{"action":"unsubscribed","channel":"news"}',
      '{"action":"unsubscribed","channel":"news"}',
    ]);
  });

  it("refuses a missing channel with MISSING_CHANNEL", async () => {
    // Prepare
    const { deps, to } = setup();
    // Act
    await handle(deps, '{"action":"unsubscribe"}');
    // Assess
    expect(JSON.parse(to(SENDER)[0] ?? "{}").error).toMatchObject({
      code: "MISSING_CHANNEL",
      action: "unsubscribe",
    });
  });
});

describe("publish", () => {
  it("reaches the channel's members only, the sender included when it is one, with a generated id", async () => {
    // Prepare
    const { deps, received } = setup({
      connections: ["a=", "b=", "c="],
      channels: { news: [SENDER, "a="], "news/sport": ["b="] },
    });
    // Act
    const result = await handle(deps, '{"action":"publish","channel":"news","message":{"n":1}}');
    // Assess
    expect(result).toEqual({ statusCode: 200 });
    expect(received.map(([id]) => id).sort()).toEqual(["a=", SENDER].sort());
    const frames = received.map(([, text]) => JSON.parse(text));
    expect(frames[0]).toEqual(frames[1]);
    expect(frames[0]).toMatchObject({ channel: "news", message: { n: 1 } });
    expect(frames[0].id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Object.keys(frames[0])).toEqual(["channel", "message", "id"]);
  });

  it("acknowledges a client id before delivering, and the frames carry that id", async () => {
    // Prepare
    const { deps, received } = setup({ channels: { news: [SENDER] } });
    // Act
    await handle(deps, '{"action":"publish","channel":"news","message":"hi","id":"r-1"}');
    // Assess
    expect(received).toEqual([
      [SENDER, '{"action":"accepted","id":"r-1"}'],
      [SENDER, '{"channel":"news","message":"hi","id":"r-1"}'],
    ]);
  });

  it("refuses without the right: FORBIDDEN with context, nothing sent to the channel", async () => {
    // Prepare
    const { deps, received } = setup({ channels: { news: ["a=", "b="] }, rights: PUBLIC_ONLY });
    // Act
    await handle(deps, '{"action":"publish","channel":"news","message":"x","id":"r-2"}');
    // Assess
    expect(received.map(([id]) => id)).toEqual([SENDER]);
    expect(JSON.parse(received[0]?.[1] ?? "{}").error).toMatchObject({
      code: "FORBIDDEN",
      action: "publish",
      channel: "news",
      id: "r-2",
    });
  });

  it("refuses an oversized message with PAYLOAD_TOO_LARGE and its id, before any acknowledgement", async () => {
    // Prepare
    const { deps, received } = setup({ channels: { news: ["a="] } });
    const big = JSON.stringify({
      action: "publish",
      channel: "news",
      id: "r-3",
      message: "x".repeat(131_072),
    });
    // Act
    await handle(deps, big);
    // Assess
    expect(received).toHaveLength(1);
    expect(JSON.parse(received[0]?.[1] ?? "{}").error).toMatchObject({
      code: "PAYLOAD_TOO_LARGE",
      id: "r-3",
    });
  });

  it("removes a gone (410) member from every channel and from the connection store", async () => {
    // Prepare
    const { deps, store, memberships, received } = setup({
      connections: ["a=", "gone="],
      channels: { news: ["a=", "gone="], other: ["gone="] },
      gone: ["gone="],
    });
    // Act
    await handle(deps, '{"action":"publish","channel":"news","message":1}');
    // Assess
    expect(received.map(([id]) => id)).toEqual(["a="]);
    expect(memberships.of("news")).toEqual(["a="]);
    expect(memberships.of("other")).toEqual([]);
    expect(store.ids.has("gone=")).toBe(false);
  });

  it("answers INTERNAL_ERROR with context when the members cannot be listed", async () => {
    // Prepare
    const { deps, memberships, received } = setup();
    memberships.failWith = new Error("S3 down");
    // Act
    const result = await handle(deps, '{"action":"publish","channel":"news","message":1}');
    // Assess
    expect(result.statusCode).toBe(500);
    expect(JSON.parse(received[0]?.[1] ?? "{}").error).toMatchObject({
      code: "INTERNAL_ERROR",
      action: "publish",
      channel: "news",
    });
  });
});

describe("connection removal", () => {
  it("removes a closed connection from every channel and from the connection store", async () => {
    // Prepare
    const { deps, store, memberships } = setup({ channels: { a: [SENDER, "x="], b: [SENDER] } });
    // Act
    await deps.store.remove(SENDER);
    // Assess
    expect(memberships.of("a")).toEqual(["x="]);
    expect(memberships.of("b")).toEqual([]);
    expect(store.ids.has(SENDER)).toBe(false);
  });
});

describe("SNS message with a channel attribute", () => {
  it("delivers {channel, message, id: MessageId} to the channel's members only", async () => {
    // Prepare
    const { deps, received } = setup({ connections: ["a=", "b="], channels: { news: ["a="] } });
    const messageId = "95df01b4-ee98-5cb9-9903-4c221d41eb5e";
    // Act
    const outcome = await deliverSnsToChannel(deps, { messageId, message: '{"n":1}', channel: "news" });
    // Assess
    expect(outcome).toMatchObject({ kind: "delivered", summary: { recipients: 1, delivered: 1 } });
    expect(received).toEqual([["a=", `{"channel":"news","message":{"n":1},"id":"${messageId}"}`]]);
  });

  it.each([
    [{ message: '{"n":1}', channel: "bad//name" }, "the channel attribute is invalid"],
    [{ message: "not json", channel: "news" }, "not JSON"],
  ])("refuses %j without sending", async (record, reason) => {
    // Prepare
    const { deps, received } = setup({ channels: { news: ["a="] } });
    // Act
    const outcome = await deliverSnsToChannel(deps, { messageId: "m-1", ...record });
    // Assess
    expect(outcome.kind).toBe("rejected");
    expect(outcome.kind === "rejected" && outcome.reason).toContain(reason);
    expect(received).toEqual([]);
  });
});
