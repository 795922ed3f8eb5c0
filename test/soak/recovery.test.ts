import { describe, expect, it } from "vitest";
import type { ChannelMessage } from "../../client/src/index.js";
import { account, type RecoveryFigures, recoveryFailures } from "../../util/soak/recovery.js";

/** Message n of the phase at offset n + 1. */
const at = (n: number, offset = n + 1): ChannelMessage => ({
  channel: "soak/recovery",
  message: n,
  id: `r-${n}`,
  offset,
  epoch: "k3x1",
});

describe("the recovery phase's accounting", () => {
  it("counts every message once, in order, for clients that got everything", () => {
    // Prepare
    const everything = [at(0), at(1), at(2)];
    // Act
    const figures = account(
      [
        { messages: everything, complete: 2, incomplete: 0 },
        { messages: [...everything], complete: 1, incomplete: 0 },
      ],
      3,
    );
    // Assess
    expect(figures).toEqual({
      clients: 2,
      published: 3,
      expected: 6,
      delivered: 6,
      misses: 0,
      duplicates: 0,
      outOfOrder: 0,
      disagreements: 0,
      recoveries: { complete: 3, incomplete: 0 },
    });
  });

  it("counts a miss, a duplicate, an out-of-order delivery, a disagreement and an incomplete recovery, each exactly", () => {
    // Prepare: client A missed 1 (so 2 came out of order); client B got 0 twice; C says another message is at 3
    const a = { messages: [at(0), at(2)], complete: 0, incomplete: 1 };
    const b = { messages: [at(0), at(0), at(1), at(2)], complete: 0, incomplete: 0 };
    const c = { messages: [at(0), at(1), { ...at(2), id: "r-x" }], complete: 0, incomplete: 0 };
    // Act
    const figures = account([a, b, c], 3);
    // Assess
    expect(figures).toMatchObject({
      expected: 9,
      delivered: 8,
      misses: 1,
      duplicates: 1,
      // A's 2 right after 0, and B's repeat of 0
      outOfOrder: 2,
      disagreements: 1,
      recoveries: { complete: 0, incomplete: 1 },
    });
    expect(recoveryFailures(figures as RecoveryFigures)).toEqual([
      "recovery: 1 deliveries missed",
      "recovery: 1 duplicates delivered",
      "recovery: 2 deliveries out of position order",
      "recovery: 1 positions held different messages",
      "recovery: 1 incomplete recoveries",
    ]);
  });
});
