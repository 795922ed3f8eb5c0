import { describe, expect, it } from "vitest";
import { account, type Published, verdict } from "../../util/soak/account.js";
import { parseSoakArgs } from "../../util/soak/args.js";
import type { ClientTallies } from "../../util/soak/ipc.js";
import { emptyTallies, marker, seqOf, soakMessage } from "../../util/soak/ipc.js";

/** Tallies of one client process over `n` messages, all zero, with the given overrides. */
function tallies(n: number, over: Partial<ClientTallies> = {}): ClientTallies {
  return { ...emptyTallies(n), ...over };
}

const published: Published[] = [
  { seq: 0, kind: "sns", t0: 1_000, ok: true },
  { seq: 1, kind: "broadcast", t0: 2_000, ok: true },
];

describe("soak accounting", () => {
  it("owes every stayer every message and counts what two processes received", () => {
    // Prepare
    const a = tallies(2, { stayerGot: [2, 2], lastAt: [1_100, 2_300] });
    const b = tallies(2, { stayerGot: [1, 1], lastAt: [1_200, 2_100] });
    // Act
    const d = account(published, 3, [a, b]);
    // Assess
    expect(d.published).toEqual({ total: 2, sns: 1, broadcast: 1, failed: 0 });
    expect(d.stayers).toEqual({
      count: 3,
      expected: 6,
      delivered: 6,
      misses: 0,
      duplicates: 0,
      missedSeqs: [],
    });
    expect(d.latencyMs).toEqual({ p50: 200, p99: 300, max: 300 });
    expect(verdict(d, 0, 0)).toEqual([]);
  });

  it("reports a miss, a duplicate and a key left as failures", () => {
    // Prepare
    const a = tallies(2, { stayerGot: [2, 1], stayerDup: [1, 0], lastAt: [1_100, 2_300] });
    // Act
    const d = account(published, 2, [a]);
    // Assess
    expect(d.stayers.misses).toBe(1);
    expect(d.stayers.duplicates).toBe(1);
    expect(d.stayers.missedSeqs).toEqual([1]);
    expect(verdict(d, 3, 0)).toEqual([
      "stayers missed 1 deliveries (first messages: 1)",
      "stayers received 1 duplicates",
      "3 connection keys left in S3 after every client closed",
    ]);
  });

  it("counts a churner session as one that may receive a message only if it was open during its delivery", () => {
    // Prepare: message 0 is delivered over [1000, 1500], message 1 over [2000, 2500].
    const a = tallies(2, {
      stayerGot: [1, 1],
      churnerGot: [1, 0],
      lastAt: [1_500, 2_500],
      churnerSessions: [
        [500, 1_200], // open during message 0 only
        [1_600, 1_900], // open between the two: may receive neither
        [2_400, 9_000], // opened before message 1's last receipt
      ],
    });
    // Act
    const d = account(published, 1, [a]);
    // Assess
    expect(d.churners).toEqual({ sessions: 3, mayReceive: 2, delivered: 1, duplicates: 0 });
  });

  it("owes nobody a message whose publish failed", () => {
    // Prepare
    const failed: Published[] = [
      published[0] as Published,
      { seq: 1, kind: "broadcast", t0: 2_000, ok: false },
    ];
    const a = tallies(2, { stayerGot: [1, 0], lastAt: [1_100, 0] });
    // Act
    const d = account(failed, 1, [a]);
    // Assess
    expect(d.published).toEqual({ total: 1, sns: 1, broadcast: 0, failed: 1 });
    expect(d.stayers.expected).toBe(1);
    expect(d.stayers.misses).toBe(0);
  });
});

describe("soak markers", () => {
  it("finds a message's sequence number in an SNS body and in a broadcast frame, and only for its own run", () => {
    // Prepare
    const sns = JSON.stringify(soakMessage("abc", 7, "sns"));
    const broadcast = JSON.stringify({ message: soakMessage("abc", 8, "broadcast") });
    // Act
    const found = [
      seqOf(sns, "abc"),
      seqOf(broadcast, "abc"),
      seqOf(sns, "xyz"),
      seqOf('{"action":"pong"}', "abc"),
    ];
    // Assess
    expect(marker("abc", 7)).toBe("abc:7");
    expect(found).toEqual([7, 8, undefined, undefined]);
  });
});

describe("soak options", () => {
  it("defaults to 2,000 clients for 10 minutes, and 100 for 20 seconds with --quick", () => {
    // Prepare
    const full: string[] = [];
    const quick = ["--quick"];
    // Act
    const [f, q] = [parseSoakArgs(full), parseSoakArgs(quick)];
    // Assess
    expect(f).toMatchObject({ clients: 2000, stayers: 1000, seconds: 600, churnPerSec: 20, processes: 2 });
    expect(q).toMatchObject({ clients: 100, stayers: 50, seconds: 20, churnPerSec: 5, ratePerSec: 2 });
  });

  it("refuses more stayers than clients and a run longer than its bound", () => {
    // Prepare
    const tooMany = ["--clients", "10", "--stayers", "11"];
    const tooLong = ["--minutes", "1000"];
    // Act
    const attempts = [() => parseSoakArgs(tooMany), () => parseSoakArgs(tooLong)];
    // Assess
    expect(attempts[0]).toThrow("--stayers (11) must be at most --clients (10)");
    expect(attempts[1]).toThrow("--minutes must be a number from 0.05 to 120, got '1000'");
  });
});
