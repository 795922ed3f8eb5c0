import { describe, expect, it } from "vitest";
import { deliveries, subscribe } from "../support/channels.js";
import { useStack } from "../support/stack.js";
import { eventually } from "../support/wait.js";
import type { Client } from "../support/ws-client.js";

/** Publishes sent back to back by one client. */
const COUNT = 300;

/**
 * Order from one publisher, as it is (docs/protocol.md, "Order"): each request is its own invocation, and the local
 * stack, like API Gateway, runs a connection's requests side by side, so back-to-back publishes may arrive in another
 * order (measured: 53 to 65 adjacent pairs of the 300 swapped, with the stack's 4 environments). What holds is that
 * each arrives exactly once.
 */
describe("order from one publisher, through the local stack", () => {
  const suite = useStack({}, 2);

  it("delivers 300 back-to-back channel publishes of one client exactly once each, in whatever order they ran", async () => {
    // Prepare
    const [publisher, member] = suite.clients as [Client, Client];
    await subscribe(member, "order/one");

    // Act
    for (let n = 0; n < COUNT; n++) publisher.send({ action: "publish", channel: "order/one", message: n });
    await eventually("every publish delivered", () => deliveries(member).length >= COUNT, 60_000);
    await member.roundTrip();

    // Assess
    const received = deliveries(member).map((delivery) => delivery.message as number);
    expect([...received].sort((a, b) => a - b)).toEqual(Array.from({ length: COUNT }, (_, n) => n));
  });
});
