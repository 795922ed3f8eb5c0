/**
 * Who receives a fan-out, and where their ids come from: every connection (the connection store) or the members
 * of one channel (the membership store), listed a page at a time within some buckets.
 */
import type { BucketRange } from "../contract/storage.js";
import type { ConnectionStore } from "../stores/connections.js";
import type { MembershipStore } from "../stores/memberships.js";

/** Who receives a fan-out: every connection, or the members of one channel. */
export type Audience = { kind: "everyone" } | { kind: "channel"; channel: string };

/** The audience of a broadcast and of an SNS message without a channel. */
export const EVERYONE: Audience = Object.freeze({ kind: "everyone" });

/** Lists an audience's connection ids within some buckets, a page at a time. */
export interface AudienceSource {
  /**
   * @param audience - everyone, or one channel
   * @param range - the buckets (`src/contract/storage.ts`)
   */
  pages(audience: Audience, range: BucketRange): AsyncIterable<string[]>;
}

/** A channel fan-out reached a source without a membership store. */
export class NoMembershipsError extends Error {
  override readonly name = "NoMembershipsError";
}

/**
 * The audience source over the stores: everyone from the connection store, a channel from the membership store.
 * @param store - the connection store
 * @param memberships - the membership store; without it a channel audience fails with {@link NoMembershipsError}
 */
export function storeAudience(store: ConnectionStore, memberships?: MembershipStore): AudienceSource {
  return {
    pages(audience, range) {
      if (audience.kind === "everyone") return store.pages(range);
      if (memberships === undefined) {
        throw new NoMembershipsError("this function has no membership store; channel fan-outs need one");
      }
      return memberships.members(audience.channel, range);
    },
  };
}

/**
 * The audience as log keys.
 * @param audience - everyone, or one channel
 */
export function describeAudience(audience: Audience): { audience: string; channel?: string } {
  return audience.kind === "channel"
    ? { audience: "channel", channel: audience.channel }
    : { audience: "everyone" };
}
