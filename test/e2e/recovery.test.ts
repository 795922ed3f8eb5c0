import { describe, expect, it } from "vitest";
import { soakRecovery } from "../../util/soak/recovery.js";
import { useStack } from "../support/stack.js";

const CLIENTS = 200;
const RATE = 20;
const SECONDS = 60;

describe("recovery under churn: 200 library clients dropped and renewed at random while 20 messages a second flow", () => {
  const suite = useStack();

  it("delivers every one of 1,200 messages to every client exactly once, in position order, with no incomplete recovery", async () => {
    // Prepare: token mode, the token provider asked before every connection (the soak's phase, on this stack)
    const { stack, s3 } = suite;
    let tokensAsked = 0;
    const token = () => {
      tokensAsked += 1;
      return new URL(stack.tokenUrl()).searchParams.get("token") ?? "";
    };
    const lines: string[] = [];

    // Act: the publisher waits for its acknowledgements (at most 8 in flight), so a loaded machine makes it late
    const figures = await soakRecovery(
      { outputs: stack.outputs, s3 },
      { clients: CLIENTS, ratePerSec: RATE, seconds: SECONDS, token },
      (line) => lines.push(line),
    );
    console.log(
      `${CLIENTS} clients, ${figures.published} messages in ${Math.round(figures.publishedInMs)} ms, delivered after ` +
        `${Math.round(figures.drainedInMs)} ms; ${figures.drops} drops, ${figures.renewals} renewals, ` +
        `${tokensAsked} tokens, recoveries ${JSON.stringify(figures.recoveries)}`,
    );

    // Assess: exact counts; every client's deliveries in position order, the same message at each position
    expect(figures).toMatchObject({
      clients: CLIENTS,
      published: RATE * SECONDS,
      expected: CLIENTS * RATE * SECONDS,
      delivered: CLIENTS * RATE * SECONDS,
      misses: 0,
      duplicates: 0,
      outOfOrder: 0,
      disagreements: 0,
      recoveries: { incomplete: 0 },
    });
    // The churn happened, and the clients came back from where they were: a drop or a renewal resubscribes with
    // since (a recovery) on a connection made with a fresh token. (Not one each exactly: a DELETE may hit a
    // renewal's second connection, and a renewal asked for while another runs is that one.)
    expect(figures.drops).toBeGreaterThan(SECONDS / 2);
    expect(figures.renewals).toBeGreaterThan(SECONDS / 2);
    expect(figures.recoveries.complete).toBeGreaterThan(SECONDS);
    expect(tokensAsked).toBeGreaterThan(CLIENTS + SECONDS);
  }, 300_000);
});
