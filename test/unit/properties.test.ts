/**
 * Property-based tests (fast-check) of frame parsing and of the handler: for any frame a client can send, the
 * sender gets exactly one reply or the frame is fanned out to everyone once, and nothing throws out of the handler
 * (no 500, no ERROR line). Runs are bounded so that the file takes a few seconds; a failure prints the seed and the
 * shrunk frame, which `fc.assert(..., { seed, path })` replays.
 */
import type { Context, SNSEvent } from "aws-lambda";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/app/config.js";
import type { Dependencies } from "../../src/app/dependencies.js";
import { isValidLimit, readPosition } from "../../src/contract/grammar.js";
import {
  broadcastFrame,
  CLIENT_ACTIONS,
  ERROR_CODES,
  MAX_MESSAGE_BYTES,
  MAX_MESSAGE_DEPTH,
  ROUTE_KEYS,
} from "../../src/contract/index.js";
import { describe as describeValue } from "../../src/protocol/errors.js";
import { errorFrame } from "../../src/protocol/frames.js";
import { checkChannel, checkId, parseRequest } from "../../src/protocol/requests.js";
import { loadEvent } from "../support/fixtures.js";
import { handlerOver, messageEvent } from "./support/handler.js";
import { RecordingLog } from "./support/log.js";
import { MemoryMemberships } from "./support/memberships.js";
import { MemoryStore } from "./support/store.js";

const SENDER = "Ek02Ofq8IAMCEyw="; // the connection id in broadcast_1.json
const OTHERS = ["Fa01AbCdIAMCEyw=", "Gb02AbCdIAMCEyw="];
const CODES = new Set<string>(Object.keys(ERROR_CODES));
const context = { awsRequestId: "lambda-request-1" } as Context;
/** `{"message":}` around a message: what a broadcast adds to the message's own JSON. */
const WRAPPER_BYTES = Buffer.byteLength('{"message":}');

/** One frame as API Gateway hands it to the function: its text (or base64 for binary) and the flag. */
interface Frame {
  body: string | undefined;
  isBase64Encoded: boolean;
}

const text = (body: string | undefined): Frame => ({ body, isBase64Encoded: false });

/** A message whose broadcast frame is within a few bytes of the 128 KB limit, either side, in 1 to 4 byte characters. */
const nearLimitMessage = fc
  .record({ fill: fc.constantFrom("x", "é", "€", "😀", '"', "\n"), slack: fc.integer({ min: -8, max: 8 }) })
  .map(({ fill, slack }) => {
    const each = Buffer.byteLength(JSON.stringify(fill)) - 2;
    return fill.repeat(Math.floor((MAX_MESSAGE_BYTES - WRAPPER_BYTES - 2 + slack) / each));
  });

/** Arrays and objects nested `depth` levels, around the depth limit and far past it. */
const deepText = fc
  .record({
    depth: fc.oneof(
      fc.integer({ min: MAX_MESSAGE_DEPTH - 3, max: MAX_MESSAGE_DEPTH + 3 }),
      fc.constantFrom(1, 4_500, 20_000),
    ),
    object: fc.boolean(),
  })
  .map(({ depth, object }) =>
    object
      ? `${'{"a":'.repeat(depth - 1)}{}${"}".repeat(depth - 1)}`
      : `${"[".repeat(depth)}${"]".repeat(depth)}`,
  );

/** Any value at an action's place: a known action, another string, or any JSON value. */
const actionValue = fc.oneof(
  fc.constantFrom<unknown>(...CLIENT_ACTIONS, ...ROUTE_KEYS, "Broadcast", "broadcast ", ""),
  fc.string(),
  fc.jsonValue(),
);

/** Positions a subscribe's `since` may carry, valid and not. */
const SINCE = fc.constantFrom<unknown>({ epoch: "ab1", offset: 3 }, { offset: 0 }, { offset: 2 });
/** Objects with an action (or none) and arbitrary other fields, `message` included or not. */
const objectFrame = fc
  .record(
    {
      action: actionValue,
      message: fc.oneof(fc.jsonValue(), fc.string({ unit: "grapheme", maxLength: 200 })),
      id: fc.oneof(fc.constantFrom("a1b2-c3", "", "x".repeat(65), "no spaces"), fc.jsonValue()),
      channel: fc.oneof(
        fc.constantFrom("news", "news/eu", "a.b/c_d-e", "", "/x", "x/", "a//b"),
        fc.string(),
        fc.jsonValue(),
      ),
      since: fc.oneof(SINCE, fc.jsonValue()),
      limit: fc.oneof(fc.constantFrom<unknown>(1, 100, 0, 101, 2.5, "3"), fc.jsonValue()),
      extra: fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 4 }),
    },
    { requiredKeys: [] },
  )
  .map(({ extra, ...fields }) => text(JSON.stringify({ ...extra, ...fields })));

/** Broadcasts of any message, with any other fields beside it. */
const broadcastFrames = fc
  .record({
    message: fc.oneof(fc.jsonValue(), fc.string({ unit: "binary" })),
    extra: fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 }),
  })
  .map(({ message, extra }) => text(JSON.stringify({ ...extra, action: "broadcast", message })));

/** Every kind of frame a client (or a broken one) can send. */
const anyFrame: fc.Arbitrary<Frame> = fc.oneof(
  fc.string({ unit: "binary" }).map(text),
  fc.string({ unit: "grapheme-ascii" }).map(text),
  fc.json().map(text),
  fc.jsonValue().map((value) => text(JSON.stringify(value))),
  objectFrame,
  objectFrame,
  broadcastFrames,
  fc.constant(text(undefined)),
  fc.uint8Array({ maxLength: 512 }).map((bytes) => ({
    body: Buffer.from(bytes).toString("base64"),
    isBase64Encoded: true,
  })),
);

/** Frames of megabyte-ish size or depth: slower to generate, so they get fewer runs. */
const heavyFrame: fc.Arbitrary<Frame> = fc.oneof(
  nearLimitMessage.map((message) => text(JSON.stringify({ action: "broadcast", message }))),
  deepText.map((nested) => text(`{"action":"broadcast","message":${nested}}`)),
  deepText.map((nested) => text(`{"action":${nested}}`)),
  deepText.map(text),
  nearLimitMessage.map((message) => text(JSON.stringify({ action: message }))),
);

describe("parseRequest, for any frame", () => {
  it("never throws, and answers a known action's request or a rejection with a protocol code and a text", () => {
    fc.assert(
      fc.property(fc.oneof(anyFrame, heavyFrame), (frame) => {
        // Act
        const parsed = parseRequest(frame.body, frame.isBase64Encoded);

        // Assess
        if (parsed.ok) {
          expect(CLIENT_ACTIONS).toContain(parsed.value.action);
          expect(frame.isBase64Encoded).toBe(false);
        } else {
          expect(CODES).toContain(parsed.error.code);
          expect(parsed.error.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 400 },
    );
  });

  it("accepts exactly the JSON objects that make a whole request of a client action", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          objectFrame,
          fc.jsonValue().map((v) => text(JSON.stringify(v))),
        ),
        (frame) => {
          // Prepare
          const value: unknown = JSON.parse(frame.body ?? "");
          const object =
            typeof value === "object" && value !== null && !Array.isArray(value)
              ? (value as Record<string, unknown>)
              : undefined;
          const channelOk = object !== undefined && checkChannel(object.channel).ok;
          const idOk = object !== undefined && checkId(object).ok;
          const sinceOk = object?.since === undefined || "position" in readPosition(object.since);
          const limitOk = object?.limit === undefined || isValidLimit(object.limit);
          const expected =
            object !== undefined &&
            (object.action === "ping" ||
              (object.action === "subscribe" && channelOk && sinceOk) ||
              (object.action === "unsubscribe" && channelOk) ||
              (object.action === "history" && channelOk && limitOk) ||
              (object.action === "broadcast" && "message" in object && idOk) ||
              (object.action === "publish" && "message" in object && channelOk && idOk));

          // Act
          const parsed = parseRequest(frame.body, false);

          // Assess
          expect(parsed.ok).toBe(expected);
          if (parsed.ok && parsed.value.action === "broadcast")
            expect(JSON.stringify(parsed.value.message)).toBe(JSON.stringify(object?.message));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("protocol texts, for any value", () => {
  it("broadcastFrame keeps the message whole within 128 KB and 1,000 levels, or refuses it with a code", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          nearLimitMessage,
          deepText.map((nested) => JSON.parse(nested) as unknown),
        ),
        (message) => {
          // Act
          const frame = broadcastFrame(message);

          // Assess
          if (frame.ok) {
            expect(frame.value.byteLength).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
            expect(Buffer.from(frame.value).toString("utf8")).toBe(JSON.stringify({ message }));
          } else {
            expect(["PAYLOAD_TOO_LARGE", "MESSAGE_TOO_DEEP"]).toContain(frame.error.code);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("describe echoes at most 64 characters of any value, and errorFrame is always JSON", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          nearLimitMessage,
          deepText.map((n) => JSON.parse(n) as unknown),
        ),
        (value) => {
          // Act
          const echoed = describeValue(value);
          const frame = errorFrame({ code: "UNKNOWN_ACTION", message: `Unknown action ${echoed}` });

          // Assess
          expect(echoed.length).toBeLessThanOrEqual(64);
          expect(JSON.parse(frame)).toEqual({
            error: { code: "UNKNOWN_ACTION", message: `Unknown action ${echoed}` },
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});

/** A handler over the real routes with an in-memory store of three connections and a recording `send`. */
function setup() {
  const log = new RecordingLog();
  const store = new MemoryStore([SENDER, ...OTHERS]);
  const sent: Array<{ to: string; frame: string }> = [];
  const deps: Dependencies = {
    // No shard queue: every fan-out inline.
    queue: undefined,
    config: loadConfig({
      CONNECTION_BUCKET: "bucket",
      MANAGEMENT_ENDPOINT: "https://example.com/primary",
      AUTH_MODE: "open",
      // The protocol's 128 KB limit, not the stack's smaller default cap on client broadcasts: these frames probe it.
      MAX_CLIENT_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES),
    }),
    log,
    store,
    memberships: new MemoryMemberships(),
    verifier: undefined,
    pace: undefined,
    senders: {
      for: () => async (to, data) => {
        sent.push({ to, frame: Buffer.from(data).toString("utf8") });
      },
    },
  };
  return { handler: handlerOver(deps), log, store, sent };
}

/**
 * What the handler did with one frame: a reply to the sender alone; the same frame to each connection once (a
 * broadcast); or a publish to a channel, which has no members here. A broadcast or publish that carries an `id`
 * also acknowledges it to the sender, once.
 */
function assessOneReplyOrFanOut(
  frame: Frame,
  sent: Array<{ to: string; frame: string }>,
): "fan-out" | "reply" | "publish" {
  const accepted = sent.filter((s) => s.frame.startsWith('{"action":"accepted"'));
  const rest = sent.filter((s) => !accepted.includes(s));
  // Only a frame that was JSON can have been fanned out or acknowledged; any other gets a reply, checked below.
  let request: { message?: unknown; id?: string; action?: unknown } = {};
  try {
    request = JSON.parse(frame.body ?? "") ?? {};
  } catch {}
  if (accepted.length > 0) {
    expect(accepted).toEqual([{ to: SENDER, frame: JSON.stringify({ action: "accepted", id: request.id }) }]);
  }
  const fannedOut = rest.length === 1 + OTHERS.length && new Set(rest.map((s) => s.frame)).size === 1;
  if (fannedOut) {
    expect(rest.map((s) => s.to).sort()).toEqual([SENDER, ...OTHERS].sort());
    const expected =
      accepted.length > 0 ? { message: request.message, id: request.id } : { message: request.message };
    expect(rest[0]?.frame).toBe(JSON.stringify(expected));
    return "fan-out";
  }
  if (request.action === "publish" && rest.length === 0) return "publish";
  expect(accepted).toEqual([]);
  expect(rest).toHaveLength(1);
  expect(rest[0]?.to).toBe(SENDER);
  const answer = JSON.parse(rest[0]?.frame ?? "") as { action?: string; error?: { code: string } };
  if (answer.action !== undefined) expect(["pong", "subscribed", "unsubscribed"]).toContain(answer.action);
  else expect(CODES).toContain(answer.error?.code);
  return "reply";
}

describe("the handler, for any frame", () => {
  // The route API Gateway picks for the frame (undefined: most runs), or any other: a disagreeing one.
  const other = fc.oneof(fc.constantFrom(...ROUTE_KEYS.filter((k) => !k.startsWith("$c"))), fc.string());
  const routeKey = fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, other);

  it("answers 200 and either replies once to the sender or fans out once to everyone; no ERROR line", async () => {
    const seen = { "fan-out": 0, reply: 0, publish: 0 };
    await fc.assert(
      fc.asyncProperty(anyFrame, routeKey, async (frame, route) => {
        // Prepare
        const { handler, log, store, sent } = setup();

        // Act
        const result = await handler(messageEvent(frame.body, route, frame.isBase64Encoded), context);

        // Assess
        expect(result).toEqual({ statusCode: 200 });
        expect(log.lines.filter((line) => line.level === "error")).toEqual([]);
        seen[assessOneReplyOrFanOut(frame, sent)]++;
        expect(store.ids.size).toBe(3);
      }),
      { numRuns: 300 },
    );
    // Both outcomes were exercised, not only refusals.
    expect(seen["fan-out"]).toBeGreaterThan(10);
    expect(seen.reply).toBeGreaterThan(100);
  });

  it("does the same for frames near the 128 KB limit and nested past 1,000 levels", async () => {
    const seen = { "fan-out": 0, reply: 0, publish: 0 };
    await fc.assert(
      fc.asyncProperty(heavyFrame, async (frame) => {
        // Prepare
        const { handler, log, sent } = setup();

        // Act
        const result = await handler(messageEvent(frame.body, "broadcast", frame.isBase64Encoded), context);

        // Assess
        expect(result).toEqual({ statusCode: 200 });
        expect(log.lines.filter((line) => line.level === "error")).toEqual([]);
        seen[assessOneReplyOrFanOut(frame, sent)]++;
      }),
      { numRuns: 60 },
    );
    expect(seen["fan-out"]).toBeGreaterThan(3);
    expect(seen.reply).toBeGreaterThan(3);
  });

  it("fans out any SNS message that is JSON within 128 KB, unchanged, and logs why it skips any other; never throws", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ unit: "binary" }),
          fc.json(),
          nearLimitMessage.map((m) => JSON.stringify(m)),
          deepText,
        ),
        async (message) => {
          // Prepare
          const { handler, log, sent } = setup();
          const event = loadEvent<SNSEvent>("sns_message_1");
          const record = event.Records[0];
          if (record) record.Sns.Message = message;
          let isJson = true;
          try {
            JSON.parse(message);
          } catch {
            isJson = false;
          }
          const deliverable = isJson && Buffer.byteLength(message) <= MAX_MESSAGE_BYTES;

          // Act
          const result = await handler(event, context);

          // Assess
          expect(result).toBeUndefined();
          const errors = log.lines.filter((line) => line.level === "error");
          if (deliverable) {
            expect(errors).toEqual([]);
            expect(sent.map((s) => s.frame)).toEqual([message, message, message]);
          } else {
            expect(sent).toEqual([]);
            expect(errors.map((e) => [e.message, "error" in e.attributes])).toEqual([
              ["SNS message rejected", false],
            ]);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
