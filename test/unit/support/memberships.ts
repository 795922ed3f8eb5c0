import { ALL_BUCKETS, type BucketRange, bucketOf } from "../../../src/contract/index.js";
import type { MembershipStore } from "../../../src/stores/memberships.js";

/** An in-memory membership store: channel -> member ids, with the calls recorded. */
export class MemoryMemberships implements MembershipStore {
  readonly channels = new Map<string, Set<string>>();
  readonly removed: string[][] = [];
  /** What `removeMembers` was asked: [channel, ids]. */
  readonly removedMembers: Array<[string, string[]]> = [];
  failWith: Error | undefined;

  constructor(
    initial: Record<string, string[]> = {},
    private readonly pageSize = 1000,
  ) {
    for (const [channel, ids] of Object.entries(initial)) this.channels.set(channel, new Set(ids));
  }

  async subscribe(connectionId: string, channel: string): Promise<void> {
    if (this.failWith) throw this.failWith;
    const members = this.channels.get(channel) ?? new Set<string>();
    members.add(connectionId);
    this.channels.set(channel, members);
  }
  async unsubscribe(connectionId: string, channel: string): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.channels.get(channel)?.delete(connectionId);
  }
  async channelsOf(connectionId: string): Promise<string[]> {
    if (this.failWith) throw this.failWith;
    return [...this.channels].filter(([, ids]) => ids.has(connectionId)).map(([channel]) => channel);
  }
  async *members(channel: string, range: BucketRange = ALL_BUCKETS): AsyncIterable<string[]> {
    if (this.failWith) throw this.failWith;
    const all = [...(this.channels.get(channel) ?? [])].filter(
      (id) => bucketOf(id) >= range.from && bucketOf(id) < range.to,
    );
    for (let start = 0; start < all.length; start += this.pageSize)
      yield all.slice(start, start + this.pageSize);
  }
  async removeConnections(connectionIds: readonly string[]): Promise<void> {
    this.removed.push([...connectionIds]);
    for (const ids of this.channels.values()) for (const id of connectionIds) ids.delete(id);
  }
  async removeMembers(channel: string, connectionIds: readonly string[]): Promise<void> {
    this.removedMembers.push([channel, [...connectionIds]]);
    for (const id of connectionIds) this.channels.get(channel)?.delete(id);
  }
  /** The members of a channel, sorted. */
  of(channel: string): string[] {
    return [...(this.channels.get(channel) ?? [])].sort();
  }
}
