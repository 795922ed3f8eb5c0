import { describe, expect, it } from "vitest";
import { MAX_FRAME_BYTES, MAX_MESSAGE_BYTES } from "../../src/contract/index.js";
import { useStack } from "../support/stack.js";
import { Client, isErrorFrame, sendFragmented } from "../support/ws-client.js";

/** Every bad frame of DESIGN.md's client protocol, with the error code its sender must get. */
const BAD_FRAMES: Array<{ name: string; code: string; send: (c: Client) => void }> = [
  { name: "not JSON", code: "INVALID_JSON", send: (c) => c.send("hello?") },
  { name: "a JSON array", code: "NOT_AN_OBJECT", send: (c) => c.send("[1,2]") },
  { name: "a JSON string", code: "NOT_AN_OBJECT", send: (c) => c.send('"broadcast"') },
  { name: "JSON null", code: "NOT_AN_OBJECT", send: (c) => c.send("null") },
  { name: "no action", code: "MISSING_ACTION", send: (c) => c.send({ message: "hi" }) },
  { name: "an unknown action", code: "UNKNOWN_ACTION", send: (c) => c.send({ action: "shout", message: 1 }) },
  {
    name: "a broadcast without message",
    code: "MISSING_MESSAGE",
    send: (c) => c.send({ action: "broadcast" }),
  },
  { name: "a binary frame", code: "BINARY_NOT_SUPPORTED", send: (c) => c.ws.send(Buffer.from([1, 2, 3])) },
  {
    // Under 128 KB as sent (in frames of at most 32 KB), over it once re-serialised: each 1e20 becomes 21 digits.
    name: "a broadcast over the payload limit once wrapped",
    code: "PAYLOAD_TOO_LARGE",
    send: (c) =>
      sendFragmented(c, `{"action":"broadcast","message":[${Array(20_000).fill("1e20").join(",")}]}`),
  },
];

describe("frames through the local stack", () => {
  // The protocol's limits, not the stack's own 32 KB cap on client broadcasts (test/e2e/auth.test.ts has that).
  const suite = useStack({ lambdaEnv: { MAX_CLIENT_MESSAGE_BYTES: "131072" } }, 2);
  /** The two clients connected at the start: one sends, the other looks on. */
  const pair = () => suite.clients as [sender: Client, bystander: Client];

  it.each(BAD_FRAMES)(
    "answers $name with $code to the sender only, and the sender stays connected",
    async (bad) => {
      // Prepare
      const [sender, bystander] = pair();
      const from = sender.received.length;
      const bystanderFrom = bystander.received.length;

      // Act
      bad.send(sender);
      const answer = (await sender.next(isErrorFrame, from)) as {
        error: { code: string; message: string };
      };
      await sender.roundTrip();
      await bystander.roundTrip();

      // Assess
      expect(answer.error.code).toBe(bad.code);
      expect(answer.error.message.length).toBeGreaterThan(10);
      expect(sender.ws.readyState).toBe(sender.ws.OPEN);
      expect(bystander.received.slice(bystanderFrom)).toEqual([{ action: "pong" }]);
    },
  );

  it("accepts a message over 32 KB sent in frames of at most 32 KB", async () => {
    // Prepare
    const [sender, bystander] = pair();
    const message = "y".repeat(3 * MAX_FRAME_BYTES);
    const from = bystander.received.length;

    // Act
    sendFragmented(sender, JSON.stringify({ action: "broadcast", message }));
    const got = await bystander.next((f) => typeof f === "object" && f !== null && "message" in f, from);

    // Assess
    expect(got).toEqual({ message });
  });

  it("closes the connection with 1009 on a single frame over 32 KB", async () => {
    // Prepare
    const { stack } = suite;
    const [sender] = pair();
    const victim = await Client.connect(stack.tokenUrl());

    // Act
    victim.send({ action: "broadcast", message: "z".repeat(MAX_FRAME_BYTES) });
    const closed = await victim.closed;

    // Assess
    expect(closed.code).toBe(1009);
    expect(sender.ws.readyState).toBe(sender.ws.OPEN);
  });

  it("closes the connection with 1009 on a message over 128 KB, even in small frames", async () => {
    // Prepare
    const { stack } = suite;
    const victim = await Client.connect(stack.tokenUrl());

    // Act
    sendFragmented(victim, JSON.stringify({ action: "broadcast", message: "w".repeat(MAX_MESSAGE_BYTES) }));
    const closed = await victim.closed;

    // Assess
    expect(closed.code).toBe(1009);
  });
});
