/**
 * The soak's accounting: what was published, what each kind of client was owed, and what arrived. Pure functions
 * over the client processes' tallies, so the verdict the soak prints is unit-tested (test/soak/account.test.ts).
 */
import { percentile } from "../bench/stats.js";
import type { ClientTallies, PublishKind } from "./ipc.js";

/** One message the soak published (or tried to). */
export interface Published {
  seq: number;
  kind: PublishKind;
  /** Wall-clock ms when it was handed to SNS or to the sending client. */
  t0: number;
  /** False when the publish call failed or no stayer could send it: then nobody is owed it. */
  ok: boolean;
}

/** The delivery figures of a soak run. */
export interface Delivery {
  /** Messages published successfully, by path. */
  published: { total: number; sns: number; broadcast: number; failed: number };
  stayers: {
    count: number;
    /** stayers x messages: each stayer was connected for the whole time of every message. */
    expected: number;
    /** (stayer, message) pairs received at least once. */
    delivered: number;
    misses: number;
    /** Receipts beyond the first of a (stayer, message) pair. */
    duplicates: number;
    /** The first few sequence numbers some stayer missed. */
    missedSeqs: number[];
  };
  churners: {
    /** Churner sessions over the run (the first connects included). */
    sessions: number;
    /**
     * (session, message) pairs where the session was open at some time between the publish and the message's
     * last receipt anywhere: such a session may or may not receive it (it may have closed before its turn).
     */
    mayReceive: number;
    delivered: number;
    duplicates: number;
  };
  /** Publish to last receipt anywhere, ms, over the messages that arrived. */
  latencyMs: { p50: number; p99: number; max: number } | null;
  /** Frames that were neither one of this run's messages nor a pong, with the first few. */
  otherFrames: number;
  otherSamples: string[];
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);

/**
 * Merges the tallies of every client process and accounts for every message.
 * @param published - every publish attempt, index = sequence number
 * @param stayers - the number of stayers (all connected before the first publish, closed after the last receipt)
 * @param tallies - one per client process
 */
export function account(
  published: readonly Published[],
  stayers: number,
  tallies: readonly ClientTallies[],
): Delivery {
  const ok = published.filter((p) => p.ok);
  const at = (list: (t: ClientTallies) => number[], seq: number) =>
    sum(tallies.map((t) => list(t)[seq] ?? 0));
  let delivered = 0;
  let duplicates = 0;
  let churnerGot = 0;
  let churnerDup = 0;
  let mayReceive = 0;
  const missedSeqs: number[] = [];
  const latencies: number[] = [];
  const sessions = tallies.flatMap((t) => t.churnerSessions);
  for (const p of published) {
    const got = at((t) => t.stayerGot, p.seq);
    // A failed publish may still have gone out (SNS timed out after accepting it); what arrived is counted.
    delivered += p.ok ? got : 0;
    duplicates += at((t) => t.stayerDup, p.seq);
    churnerGot += at((t) => t.churnerGot, p.seq);
    churnerDup += at((t) => t.churnerDup, p.seq);
    if (!p.ok) continue;
    if (got < stayers && missedSeqs.length < 10) missedSeqs.push(p.seq);
    const last = Math.max(...tallies.map((t) => t.lastAt[p.seq] ?? 0));
    if (last > 0) latencies.push(Math.max(0, last - p.t0));
    const end = Math.max(last, p.t0);
    for (const [opened, closed] of sessions) if (opened <= end && closed >= p.t0) mayReceive += 1;
  }
  const expected = stayers * ok.length;
  return {
    published: {
      total: ok.length,
      sns: ok.filter((p) => p.kind === "sns").length,
      broadcast: ok.filter((p) => p.kind === "broadcast").length,
      failed: published.length - ok.length,
    },
    stayers: { count: stayers, expected, delivered, misses: expected - delivered, duplicates, missedSeqs },
    churners: { sessions: sessions.length, mayReceive, delivered: churnerGot, duplicates: churnerDup },
    latencyMs:
      latencies.length > 0
        ? { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: Math.max(...latencies) }
        : null,
    otherFrames: sum(tallies.map((t) => t.otherFrames + t.outOfRange)),
    otherSamples: tallies.flatMap((t) => t.otherSamples).slice(0, 5),
  };
}

/** Why a soak run failed, one reason each; empty when it passed. */
export function verdict(delivery: Delivery, keysLeft: number, stayersDropped: number): string[] {
  const reasons: string[] = [];
  const s = delivery.stayers;
  if (s.misses > 0)
    reasons.push(`stayers missed ${s.misses} deliveries (first messages: ${s.missedSeqs.join(", ")})`);
  if (s.duplicates > 0) reasons.push(`stayers received ${s.duplicates} duplicates`);
  if (delivery.churners.duplicates > 0)
    reasons.push(`churners received ${delivery.churners.duplicates} duplicates`);
  if (stayersDropped > 0) reasons.push(`${stayersDropped} stayers were disconnected during the run`);
  if (keysLeft > 0) reasons.push(`${keysLeft} connection keys left in S3 after every client closed`);
  if (delivery.published.total === 0) reasons.push("nothing was published");
  return reasons;
}
