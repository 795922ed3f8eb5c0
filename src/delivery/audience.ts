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
   * @param writtenBy - leave out recipients whose key was written after this time (epoch ms): a shard's audience
   *   boundary (`src/delivery/shard-job.ts`); every key when omitted
   */
  pages(audience: Audience, range: BucketRange, writtenBy?: number): AsyncIterable<string[]>;
  /**
   * Removes what this audience's own listing showed of recipients that have gone (410), besides their connection:
   * a channel's member keys, deleted directly, so that a member key no reverse index knows is removed the first
   * time a publish finds it. Nothing for everyone (the connection store's removal is all there is).
   * @param audience - the audience the ids were listed from
   * @param connectionIds - the recipients found gone
   */
  removeGone(audience: Audience, connectionIds: readonly string[]): Promise<void>;
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
    pages(audience, range, writtenBy) {
      if (audience.kind === "everyone") return store.pages(range, writtenBy);
      if (memberships === undefined) {
        throw new NoMembershipsError("this function has no membership store; channel fan-outs need one");
      }
      return memberships.members(audience.channel, range, writtenBy);
    },
    async removeGone(audience, connectionIds) {
      if (audience.kind === "channel") await memberships?.removeMembers(audience.channel, connectionIds);
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
