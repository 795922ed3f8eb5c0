import type { S3Client } from "@aws-sdk/client-s3";
import { describe, expect, it } from "vitest";
import { memberKey, reverseKey } from "../../../src/contract/index.js";
import { S3MembershipStore } from "../../../src/stores/memberships.js";
import { S3Bucket } from "../../../src/stores/s3.js";
import { everyInterleaving, type Run, stepOf } from "../support/interleavings.js";

/**
 * The membership store's writes under every interleaving of concurrent changes of one connection and channel: the
 * invariant of docs/channels.md ("Concurrent changes converge") checked on the final bucket of each, by exhaustive
 * enumeration of the order in which the operations' S3 calls take effect.
 */

const ID = "EhbxcdD1IAMCLvQ=";
const CHANNEL = "room/1";
const MEMBER = memberKey(CHANNEL, ID);
const REVERSE = reverseKey(ID, CHANNEL);

/** What is left of the membership: both keys, neither, or only one of them. */
type Final = "both" | "neither" | "reverse-only" | "member-only";

function finalState({ keys }: Run): Final {
  if (keys.has(MEMBER)) return keys.has(REVERSE) ? "both" : "member-only";
  return keys.has(REVERSE) ? "reverse-only" : "neither";
}

const store = (s3: S3Client) => new S3MembershipStore(s3, "bucket");
const subscribe = (s3: S3Client) => store(s3).subscribe(ID, CHANNEL);
const unsubscribe = (s3: S3Client) => store(s3).unsubscribe(ID, CHANNEL);
const cleanup = (s3: S3Client) => store(s3).removeConnections([ID]);

/** Whether a run's operations took effect one after the other, `first`'s calls all before `second`'s. */
function serial(run: Run, first: string, second: string): boolean {
  const ops = run.trace.map((step) => step.op).filter((op) => op === first || op === second);
  return ops.lastIndexOf(first) < ops.indexOf(second) || !ops.includes(second);
}

/** Counts the final states of the runs. */
function tally(): { counts: Record<string, number>; add(run: Run): Final } {
  const counts: Record<string, number> = {};
  return {
    counts,
    add(run) {
      const state = finalState(run);
      counts[state] = (counts[state] ?? 0) + 1;
      return state;
    },
  };
}

describe("membership changes that race each other (every interleaving of their S3 calls)", () => {
  const starts = {
    "no membership": [],
    "a membership": [MEMBER, REVERSE],
    "a member key left without its reverse key by the earlier write order": [MEMBER],
  };

  it.each(Object.entries(starts))(
    "subscribe and unsubscribe from %s: never a member key alone, and the final state is exactly the one the order of their writes gives",
    async (_, initial) => {
      // Prepare
      const seen = tally();

      // Act
      const runs = await everyInterleaving(initial, { subscribe, unsubscribe }, (run) => {
        const state = seen.add(run);
        const putReverse = stepOf(run.trace, "subscribe", "put", REVERSE);
        const deleteReverse = stepOf(run.trace, "unsubscribe", "delete", REVERSE);
        const putMember = stepOf(run.trace, "subscribe", "put", MEMBER);
        const lastMemberDelete = stepOf(run.trace, "unsubscribe", "delete", MEMBER, 1);
        // Assess (each run): the reverse key stays iff the subscribe wrote it last; then the member key stays iff
        // the unsubscribe's second member delete came before the subscribe's member put.
        const expected: Final =
          putReverse < deleteReverse ? "neither" : lastMemberDelete < putMember ? "both" : "reverse-only";
        expect({ state, trace: run.trace }).toEqual({ state: expected, trace: run.trace });
        if (serial(run, "subscribe", "unsubscribe")) expect(state).toBe("neither");
        if (serial(run, "unsubscribe", "subscribe")) expect(state).toBe("both");
      });

      // Assess (all runs): 20 orders of the subscribe's 3 calls among the unsubscribe's 3, and 5 more where the
      // subscribe finds its reverse key gone and makes a fourth (its member delete)
      expect(runs).toBe(25);
      expect(seen.counts).toEqual({ neither: 21, both: 2, "reverse-only": 2 });
    },
  );

  it.each(Object.entries(starts))(
    "subscribe and a $disconnect or 410 cleanup from %s: never a member key alone",
    async (_, initial) => {
      // Prepare
      const seen = tally();

      // Act
      const runs = await everyInterleaving(initial, { subscribe, cleanup }, (run) => {
        const state = seen.add(run);
        // Assess (each run)
        expect(state).not.toBe("member-only");
        if (serial(run, "subscribe", "cleanup")) expect(state).toBe("neither");
        // A cleanup that listed the reverse index before the subscribe wrote there knows nothing to remove: the pair
        // stays, whole, for the subscribe's answer (410: a gone sender's own cleanup) or the next publish to find.
        const listed = stepOf(run.trace, "cleanup", "list", `connection-channels/${encodeURIComponent(ID)}/`);
        if (listed < stepOf(run.trace, "subscribe", "put", REVERSE) && initial.length === 0)
          expect(state).toBe("both");
      });

      // Assess (all runs)
      expect(runs).toBeGreaterThan(1);
      expect(seen.counts["member-only"]).toBeUndefined();
    },
  );

  it.each([
    ["two subscribes and an unsubscribe", { subscribe, again: subscribe, unsubscribe }, 4574],
    ["a subscribe, an unsubscribe and a cleanup", { subscribe, unsubscribe, cleanup }, 7364],
  ] as const)(
    "%s, all at once, from a membership: never a member key alone",
    async (_, operations, count) => {
      // Prepare
      const seen = tally();

      // Act
      const runs = await everyInterleaving([MEMBER, REVERSE], operations, (run) => {
        // Assess (each run)
        expect(seen.add(run)).not.toBe("member-only");
      });

      // Assess (all runs)
      expect(runs).toBe(count);
      expect(Object.keys(seen.counts).sort()).toEqual(["both", "neither", "reverse-only"]);
    },
  );

  it("the write order before the re-check leaves a member key alone: the same enumeration finds it", async () => {
    // Prepare: the previous subscribe (two puts) and unsubscribe (two deletes), as they were
    const seen = tally();
    const oldSubscribe = async (s3: S3Client) => {
      const bucket = new S3Bucket(s3, "bucket");
      await bucket.putEmpty(REVERSE);
      await bucket.putEmpty(MEMBER);
    };
    const oldUnsubscribe = async (s3: S3Client) => {
      const bucket = new S3Bucket(s3, "bucket");
      await bucket.delete(MEMBER);
      await bucket.delete(REVERSE);
    };

    // Act
    await everyInterleaving([], { subscribe: oldSubscribe, unsubscribe: oldUnsubscribe }, (run) => {
      seen.add(run);
    });

    // Assess: of the 6 orders, 4 leave the member key alone: every order where the subscribe's member put comes
    // after the unsubscribe's member delete and its reverse put before the reverse delete (the one reported: delete
    // member, put reverse, delete reverse, put member)
    expect(seen.counts).toEqual({ neither: 1, both: 1, "member-only": 4 });
  });
});
