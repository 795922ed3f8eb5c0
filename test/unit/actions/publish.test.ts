import { describe, expect, it } from "vitest";
import type { Rights } from "../../../src/contract/index.js";
import { checkId } from "../../../src/protocol/requests.js";
import { handle, setupActions } from "../support/actions.js";
import { SENDER } from "../support/handler.js";

/** Rights that allow subscribing to and publishing on `public/**` only. */
const PUBLIC_ONLY: Rights = { broadcast: false, subscribe: ["public/**"], publish: ["public/**"] };

describe("publish", () => {
  it("reaches the channel's members only, the sender included when it is one, with a generated id", async () => {
    // Prepare
    const { deps, received } = setupActions({
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
    const { deps, received } = setupActions({ channels: { news: [SENDER] } });
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
    const { deps, received } = setupActions({ channels: { news: ["a=", "b="] }, rights: PUBLIC_ONLY });
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
    const { deps, received } = setupActions({ channels: { news: ["a="] } });
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

  it("refuses a publish over the stack's cap (MAX_CLIENT_MESSAGE_BYTES) as it refuses a broadcast: PAYLOAD_TOO_LARGE, nothing sent", async () => {
    // Prepare: a 1 KB cap; the frame the members would get is the message and its envelope
    const { deps, received } = setupActions({ channels: { news: ["a="] }, maxClientMessageBytes: 1024 });
    const request = (message: string) =>
      JSON.stringify({ action: "publish", channel: "news", id: "r-4", message });
    const envelope = JSON.stringify({ channel: "news", message: "", id: "r-4" }).length;
    // Act
    await handle(deps, request("x".repeat(1024 - envelope + 1)));
    await handle(deps, request("x".repeat(1024 - envelope)));
    // Assess: the first refused to the sender alone, the second accepted and delivered
    expect(received.map(([to, frame]) => [to, JSON.parse(frame).error ?? JSON.parse(frame).action])).toEqual([
      [
        SENDER,
        {
          code: "PAYLOAD_TOO_LARGE",
          message: `The publish is 1025 bytes once wrapped as {"channel":...,"message":...,"id":...}; this stack accepts at most 1024 bytes from a client. Send a smaller message.`,
          action: "publish",
          channel: "news",
          id: "r-4",
        },
      ],
      [SENDER, "accepted"],
      ["a=", undefined],
    ]);
  });

  it("removes a gone (410) member from every channel and from the connection store", async () => {
    // Prepare
    const { deps, store, memberships, received } = setupActions({
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
    const { deps, memberships, received } = setupActions();
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
  it("generates ids that fit the id grammar, one per publish without an id", async () => {
    // Prepare
    const { deps, received } = setupActions({ channels: { news: ["a="] } });
    // Act
    for (let index = 0; index < 20; index++)
      await handle(deps, '{"action":"publish","channel":"news","message":1}');
    // Assess
    const ids = received.map(([, text]) => JSON.parse(text).id as string);
    for (const id of ids) expect(checkId({ id })).toEqual({ ok: true, value: id });
    expect(new Set(ids).size).toBe(20);
  });

  it("refuses a message nested too deeply with MESSAGE_TOO_DEEP and its context, sending nothing", async () => {
    // Prepare: 20,000 levels parse fine (40 KB) but JSON.stringify recurses and overflows the stack
    const { deps, received } = setupActions({ channels: { news: ["a="] } });
    const deep = `${"[".repeat(20_000)}${"]".repeat(20_000)}`;
    // Act
    await handle(deps, `{"action":"publish","channel":"c","message":${deep}}`);
    // Assess
    expect(received).toHaveLength(1);
    const error = JSON.parse(received[0]?.[1] ?? "{}").error;
    expect(error).toMatchObject({ code: "MESSAGE_TOO_DEEP", action: "publish", channel: "c" });
    expect(error.message).toContain("1000 levels deep");
  });
});

describe("connection removal", () => {
  it("removes a closed connection from every channel and from the connection store", async () => {
    // Prepare
    const { deps, store, memberships } = setupActions({ channels: { a: [SENDER, "x="], b: [SENDER] } });
    // Act
    await deps.store.remove(SENDER);
    // Assess
    expect(memberships.of("a")).toEqual(["x="]);
    expect(memberships.of("b")).toEqual([]);
    expect(store.ids.has(SENDER)).toBe(false);
  });
});
