import { describe, expect, it } from "vitest";
import { MAX_SUBSCRIPTIONS_PER_CONNECTION, type Rights } from "../../../src/contract/index.js";
import { handle, setupActions } from "../support/actions.js";
import { SENDER } from "../support/handler.js";

/** Rights that allow subscribing to and publishing on `public/**` only. */
const PUBLIC_ONLY: Rights = { broadcast: false, subscribe: ["public/**"], publish: ["public/**"] };

describe("subscribe", () => {
  it("stores the membership, then acknowledges it", async () => {
    // Prepare
    const { deps, memberships, to } = setupActions();
    // Act
    const result = await handle(deps, '{"action":"subscribe","channel":"news/x"}');
    // Assess
    expect(result).toEqual({ statusCode: 200 });
    expect(memberships.of("news/x")).toEqual([SENDER]);
    expect(to(SENDER)).toEqual(['{"action":"subscribed","channel":"news/x"}']);
  });

  it("is idempotent: subscribing twice keeps one membership and acknowledges twice", async () => {
    // Prepare
    const { deps, memberships, to } = setupActions();
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
    const { deps, memberships, to } = setupActions({ rights: PUBLIC_ONLY });
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
    const { deps, memberships, to } = setupActions();
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
    const { deps, memberships, to } = setupActions({ channels: held });
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
    const { deps, memberships, log, to } = setupActions();
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
    const { deps, memberships, to } = setupActions({ channels: { news: [SENDER, "other="] } });
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
    const { deps, to } = setupActions();
    // Act
    await handle(deps, '{"action":"unsubscribe"}');
    // Assess
    expect(JSON.parse(to(SENDER)[0] ?? "{}").error).toMatchObject({
      code: "MISSING_CHANNEL",
      action: "unsubscribe",
    });
  });
});
