import { describe, expect, it } from "vitest";
import { planRecovery } from "../../../src/actions/history.js";
import { publishToChannel } from "../../../src/actions/sns-publish.js";
import {
  epochAt,
  historyPrefix,
  MAX_MESSAGE_BYTES,
  MAX_RECOVERY_MESSAGES,
  type Rights,
} from "../../../src/contract/index.js";
import { handle, setupActions } from "../support/actions.js";
import { SENDER } from "../support/handler.js";
import { s3Error } from "../support/s3-objects.js";

const OTHER = "other=";
const parse = (frames: string[]) => frames.map((frame) => JSON.parse(frame) as Record<string, unknown>);

/** A stack whose `news/**` channels keep history, the sender and OTHER subscribed to `news/a`. */
function setupHistory(options: { rights?: Rights } = {}) {
  return setupActions({
    connections: [OTHER],
    channels: { "news/a": [SENDER, OTHER] },
    history: ["news/**"],
    ...options,
  });
}

/** Publishes `count` messages on `news/a` from OTHER, ids `m1`... */
async function publishMany(deps: ReturnType<typeof setupHistory>["deps"], count: number, from = 1) {
  for (let n = from; n < from + count; n++)
    await handle(deps, `{"action":"publish","channel":"news/a","message":${n},"id":"m${n}"}`, OTHER);
}

describe("publish on a channel that keeps history", () => {
  it("writes the message first and sends it with its position; accepted comes after the write", async () => {
    // Prepare
    const { deps, to, objects, log } = setupHistory();

    // Act
    await handle(deps, '{"action":"publish","channel":"news/a","message":"hi","id":"p1"}');
    await handle(deps, '{"action":"publish","channel":"news/a","message":"again"}');

    // Assess
    const epoch = epochAt(Date.now());
    const frames = parse(to(SENDER));
    expect(frames[0]).toEqual({ action: "accepted", id: "p1" });
    expect(frames[1]).toEqual({ channel: "news/a", message: "hi", id: "p1", offset: 1, epoch });
    expect(frames[2]).toMatchObject({ channel: "news/a", message: "again", offset: 2, epoch });
    expect(objects.keys(historyPrefix("news/a"))).toHaveLength(2);
    // The write (a PutObject) precedes the accepted frame: it is the first S3 call after the listing.
    expect(objects.calls.map(([command]) => command).slice(0, 2)).toEqual([
      "ListObjectsV2Command",
      "PutObjectCommand",
    ]);
    expect(log.find("fan-out dispatched")[0]?.attributes).toMatchObject({ offset: 1, epoch });
  });

  it("sends nothing to anyone when the history cannot be written, and tells the sender INTERNAL_ERROR", async () => {
    // Prepare
    const { deps, to, objects, errorTo } = setupHistory();
    objects.failWith = s3Error(503, "ServiceUnavailable");

    // Act
    const result = await handle(deps, '{"action":"publish","channel":"news/a","message":"hi","id":"p1"}');

    // Assess
    expect(result.statusCode).toBe(500);
    expect(to(SENDER)).toHaveLength(1);
    expect(errorTo(SENDER)).toMatchObject({
      code: "INTERNAL_ERROR",
      action: "publish",
      channel: "news/a",
      id: "p1",
    });
    expect(to(OTHER)).toEqual([]);
  });

  it("leaves channels outside the patterns without position and without a write", async () => {
    // Prepare
    const { deps, to, objects } = setupActions({ channels: { sport: [SENDER] }, history: ["news/**"] });

    // Act
    await handle(deps, '{"action":"publish","channel":"sport","message":1,"id":"s1"}');

    // Assess
    expect(to(SENDER)).toEqual([
      '{"action":"accepted","id":"s1"}',
      '{"channel":"sport","message":1,"id":"s1"}',
    ]);
    expect(objects.calls).toEqual([]);
  });

  it("refuses a message whose frame would pass 128 KB once its position is added", async () => {
    // Prepare: a message that fits without a position but not with the room a position may take
    const { deps, errorTo, objects } = setupHistory();
    const overhead = '{"channel":"news/a","message":"","id":"p1"}'.length;
    const message = "x".repeat(MAX_MESSAGE_BYTES - overhead - 10);

    // Act
    await handle(deps, JSON.stringify({ action: "publish", channel: "news/a", message, id: "p1" }));

    // Assess
    expect(errorTo(SENDER)).toMatchObject({ code: "PAYLOAD_TOO_LARGE", action: "publish" });
    expect(errorTo(SENDER).message).toContain('"offset":...,"epoch":...');
    expect(objects.calls).toEqual([]);
  });

  it("gives an SNS message to a channel a position too, its MessageId the id", async () => {
    // Prepare
    const { deps, to } = setupHistory();

    // Act
    const outcome = await publishToChannel(deps, {
      messageId: "sns-1",
      message: '{"n":1}',
      channel: "news/a",
    });

    // Assess
    expect(outcome.kind).toBe("delivered");
    expect(parse(to(OTHER))).toEqual([
      { channel: "news/a", message: { n: 1 }, id: "sns-1", offset: 1, epoch: epochAt(Date.now()) },
    ]);
  });
});

describe("subscribe on a channel that keeps history", () => {
  it("says where the history stands: offset 0 when empty, else the newest position", async () => {
    // Prepare
    const { deps, to } = setupHistory();

    // Act
    await handle(deps, '{"action":"subscribe","channel":"news/b"}');
    await publishMany(deps, 2);
    await handle(deps, '{"action":"subscribe","channel":"news/a"}');

    // Assess
    const frames = parse(to(SENDER)).filter((f) => f.action === "subscribed");
    expect(frames).toEqual([
      { action: "subscribed", channel: "news/b", offset: 0 },
      { action: "subscribed", channel: "news/a", offset: 2, epoch: epochAt(Date.now()) },
    ]);
  });

  it("with since, sends every later message in order before subscribed, which says recovered", async () => {
    // Prepare: 5 messages; the subscriber saw up to 2
    const { deps, to, memberships } = setupHistory();
    await publishMany(deps, 5);
    const epoch = epochAt(Date.now());
    const before = to(SENDER).length;

    // Act
    await handle(
      deps,
      JSON.stringify({ action: "subscribe", channel: "news/a", since: { epoch, offset: 2 } }),
    );

    // Assess
    const frames = parse(to(SENDER).slice(before));
    expect(frames.map((f) => f.offset)).toEqual([3, 4, 5, 5]);
    expect(frames.slice(0, 3).map((f) => f.message)).toEqual([3, 4, 5]);
    expect(frames[3]).toEqual({ action: "subscribed", channel: "news/a", offset: 5, epoch, recovered: true });
    expect(memberships.of("news/a")).toContain(SENDER);
  });

  it("with since {offset: 0}, sends the whole epoch; up to date, sends nothing but recovered", async () => {
    // Prepare
    const { deps, to } = setupHistory();
    await publishMany(deps, 2);
    const epoch = epochAt(Date.now());
    const before = to(SENDER).length;

    // Act
    await handle(deps, '{"action":"subscribe","channel":"news/a","since":{"offset":0}}');
    await handle(
      deps,
      JSON.stringify({ action: "subscribe", channel: "news/a", since: { epoch, offset: 2 } }),
    );

    // Assess
    expect(parse(to(SENDER).slice(before))).toEqual([
      expect.objectContaining({ message: 1, offset: 1 }),
      expect.objectContaining({ message: 2, offset: 2 }),
      { action: "subscribed", channel: "news/a", offset: 2, epoch, recovered: true },
      { action: "subscribed", channel: "news/a", offset: 2, epoch, recovered: true },
    ]);
  });

  it("says recovered false, sending nothing, when the position's epoch is gone or its messages expired", async () => {
    // Prepare: 4 messages, of which 1 and 2 expired
    const { deps, to, objects } = setupHistory();
    await publishMany(deps, 4);
    const keys = objects.keys(historyPrefix("news/a"));
    for (const key of keys.slice(-2)) objects.objects.delete(key);
    const epoch = epochAt(Date.now());
    const before = to(SENDER).length;

    // Act
    await handle(
      deps,
      JSON.stringify({ action: "subscribe", channel: "news/a", since: { epoch, offset: 1 } }),
    );
    await handle(
      deps,
      JSON.stringify({ action: "subscribe", channel: "news/a", since: { epoch: "a", offset: 9 } }),
    );

    // Assess
    const subscribed = { action: "subscribed", channel: "news/a", offset: 4, epoch, recovered: false };
    expect(parse(to(SENDER).slice(before))).toEqual([subscribed, subscribed]);
  });

  it(`refuses a recovery of more than ${MAX_RECOVERY_MESSAGES} messages with RECOVERY_TOO_LARGE and keeps no subscription`, async () => {
    // Prepare: the subscriber is not yet a member; the channel is MAX + 1 messages past its position
    const { deps, to, errorTo, memberships } = setupActions({
      connections: [OTHER],
      channels: { "news/a": [OTHER] },
      history: ["news/**"],
    });
    await publishMany(deps, MAX_RECOVERY_MESSAGES + 1);
    const epoch = epochAt(Date.now());

    // Act
    await handle(
      deps,
      JSON.stringify({ action: "subscribe", channel: "news/a", since: { epoch, offset: 0 } }),
    );

    // Assess
    expect(to(SENDER)).toHaveLength(1);
    expect(errorTo(SENDER)).toMatchObject({
      code: "RECOVERY_TOO_LARGE",
      action: "subscribe",
      channel: "news/a",
    });
    expect(errorTo(SENDER).message).toContain(`${MAX_RECOVERY_MESSAGES + 1} messages`);
    expect(memberships.of("news/a")).toEqual([OTHER]);
  });

  it("answers subscribed as before on a channel without history, and recovered false to a since", async () => {
    // Prepare
    const { deps, to } = setupActions({ history: ["news/**"] });

    // Act
    await handle(deps, '{"action":"subscribe","channel":"sport"}');
    await handle(deps, '{"action":"subscribe","channel":"sport","since":{"epoch":"a1","offset":3}}');

    // Assess
    expect(to(SENDER)).toEqual([
      '{"action":"subscribed","channel":"sport"}',
      '{"action":"subscribed","channel":"sport","recovered":false}',
    ]);
  });

  it.each([
    ['"since":3', "must be a position object"],
    ['"since":{"epoch":"a1"}', '"offset" that is a whole number'],
    ['"since":{"offset":2}', 'needs the "epoch"'],
    ['"since":{"epoch":"A1","offset":2}', 'needs the "epoch"'],
  ])("refuses %s with INVALID_POSITION, storing nothing", async (since, text) => {
    // Prepare
    const { deps, errorTo, memberships } = setupHistory();

    // Act
    await handle(deps, `{"action":"subscribe","channel":"news/x",${since}}`);

    // Assess
    expect(errorTo(SENDER)).toMatchObject({
      code: "INVALID_POSITION",
      action: "subscribe",
      channel: "news/x",
    });
    expect(errorTo(SENDER).message).toContain(text);
    expect(memberships.of("news/x")).toEqual([]);
  });

  it("tells the subscriber INTERNAL_ERROR when the history cannot be read", async () => {
    // Prepare
    const { deps, errorTo, objects } = setupHistory();
    objects.failWith = s3Error(503, "ServiceUnavailable");

    // Act
    const result = await handle(deps, '{"action":"subscribe","channel":"news/a"}');

    // Assess
    expect(result.statusCode).toBe(500);
    expect(errorTo(SENDER)).toMatchObject({ code: "INTERNAL_ERROR", action: "subscribe", channel: "news/a" });
  });
});

describe("planRecovery", () => {
  const head = { epoch: "ab", offset: 10 };
  it.each([
    [{ epoch: "ab", offset: 4 }, head, { kind: "send", epoch: "ab", after: 4, upTo: 10 }],
    [{ epoch: "", offset: 0 }, head, { kind: "send", epoch: "ab", after: 0, upTo: 10 }],
    [{ epoch: "ab", offset: 10 }, head, { kind: "none" }],
    [{ epoch: "ab", offset: 11 }, head, { kind: "incomplete" }],
    [{ epoch: "aa", offset: 4 }, head, { kind: "incomplete" }],
    [{ epoch: "ab", offset: 4 }, undefined, { kind: "incomplete" }],
    [{ epoch: "", offset: 0 }, undefined, { kind: "none" }],
    [
      { epoch: "ab", offset: 1 },
      { epoch: "ab", offset: MAX_RECOVERY_MESSAGES + 2 },
      { kind: "too large", missed: MAX_RECOVERY_MESSAGES + 1 },
    ],
  ])("since %j, head %j: %j", (since, at, expected) => {
    expect(planRecovery(since, at)).toEqual(expected);
  });
});

describe("history", () => {
  it("answers the newest messages oldest first, each as it was sent, at most limit (default 10)", async () => {
    // Prepare
    const { deps, to } = setupHistory();
    await publishMany(deps, 12);
    const before = to(SENDER).length;

    // Act
    await handle(deps, '{"action":"history","channel":"news/a","limit":3}');
    await handle(deps, '{"action":"history","channel":"news/a"}');
    await handle(deps, '{"action":"history","channel":"news/empty"}');

    // Assess
    const [three, ten, empty] = parse(to(SENDER).slice(before)) as Array<{
      messages: Array<Record<string, unknown>>;
    }>;
    expect(three).toMatchObject({ action: "history", channel: "news/a" });
    expect(three?.messages.map((m) => m.offset)).toEqual([10, 11, 12]);
    expect(three?.messages[0]).toEqual({
      channel: "news/a",
      message: 10,
      id: "m10",
      offset: 10,
      epoch: epochAt(Date.now()),
    });
    expect(ten?.messages).toHaveLength(10);
    expect(empty).toEqual({ action: "history", channel: "news/empty", messages: [] });
  });

  it("leaves the oldest out when the answer would pass 128 KB", async () => {
    // Prepare: three messages of 50 KB
    const { deps, to } = setupHistory();
    for (let n = 1; n <= 3; n++)
      await handle(
        deps,
        JSON.stringify({ action: "publish", channel: "news/a", message: `${n}${"x".repeat(50_000)}` }),
        OTHER,
      );
    const before = to(SENDER).length;

    // Act
    await handle(deps, '{"action":"history","channel":"news/a","limit":3}');

    // Assess
    const [answer] = to(SENDER).slice(before);
    expect(Buffer.byteLength(answer ?? "")).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    const messages = (JSON.parse(answer ?? "{}").messages as Array<{ offset: number }>).map((m) => m.offset);
    expect(messages).toEqual([2, 3]);
  });

  it.each([
    ['{"action":"history","channel":"sport"}', { code: "NO_HISTORY", action: "history", channel: "sport" }],
    ['{"action":"history","channel":"news/a","limit":101}', { code: "INVALID_LIMIT", channel: "news/a" }],
    ['{"action":"history","channel":"news/a","limit":"3"}', { code: "INVALID_LIMIT", channel: "news/a" }],
    ['{"action":"history","channel":"news/a","limit":null}', { code: "INVALID_LIMIT", channel: "news/a" }],
    ['{"action":"history"}', { code: "MISSING_CHANNEL", action: "history" }],
  ])("refuses %s", async (request, error) => {
    // Prepare
    const { deps, errorTo } = setupHistory();

    // Act
    await handle(deps, request);

    // Assess
    expect(errorTo(SENDER)).toMatchObject(error);
  });

  it("needs the subscribe right for the channel: FORBIDDEN without it, and reads nothing", async () => {
    // Prepare
    const { deps, errorTo, objects } = setupHistory({
      rights: { broadcast: false, subscribe: ["sport/**"], publish: ["news/**"] },
    });

    // Act
    await handle(deps, '{"action":"history","channel":"news/a"}');

    // Assess
    expect(errorTo(SENDER)).toMatchObject({ code: "FORBIDDEN", action: "history", channel: "news/a" });
    expect(errorTo(SENDER).message).toContain('"fanout.subscribe" patterns');
    expect(objects.calls).toEqual([]);
  });
});
